/** Operations routes (issue 16: data rights) whose tenancy and bad-input cases live in test/integration/data-rights-routes.test.ts. */
export const suite = "data rights tenancy and bad input";

export const tenancy = [
	"GET /api/me/data-export",
	"GET /api/users/{id}/data-export",
	"POST /api/me/erasure",
	"POST /api/users/{id}/erasure",
	"GET /api/data-rights/erasures",
	"GET /api/data-rights/erasures/{id}",
	"GET /api/school/closure",
	"POST /api/school/closure",
	"DELETE /api/school/closure",
	"POST /api/schools/{id}/closure",
];

export const badInput = [
	"POST /api/me/erasure",
	"POST /api/users/{id}/erasure",
	"POST /api/school/closure",
	"DELETE /api/school/closure",
	"POST /api/schools/{id}/closure",
];

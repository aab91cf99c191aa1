/** Block 6 routes whose tenancy and bad-input cases live in test/integration/billing-routes.test.ts. */
export const suite = "billing tenancy and bad input";

export const tenancy = [
	"GET /api/billing/account",
	"PUT /api/billing/account",
	"POST /api/billing/account/setup-intent",
	"GET /api/billing/invoices",
	"GET /api/billing/invoices/{id}",
	"GET /api/billing/invoices/{id}/pdf",
	"POST /api/billing/invoices/{id}/credit-notes",
	"POST /api/billing/invoices/{id}/void",
	"POST /api/billing/invoices/{id}/uncollectible",
	"POST /api/billing/invoices/{id}/pay",
	"POST /api/billing/invoices/{id}/mark-paid",
	"GET /api/billing/credit-notes",
	"GET /api/billing/credit-notes/{id}",
	"GET /api/billing/credit-notes/{id}/pdf",
	"GET /api/billing/overview",
	"GET /api/billing/exports/invoices",
	"POST /api/schools/{id}/subscription/cancel",
];

export const badInput = [
	"PUT /api/billing/account",
	"POST /api/billing/account/setup-intent",
	"POST /api/billing/invoices/{id}/credit-notes",
	"POST /api/billing/invoices/{id}/void",
	"POST /api/billing/invoices/{id}/uncollectible",
	"POST /api/billing/invoices/{id}/pay",
	"POST /api/billing/invoices/{id}/mark-paid",
	"POST /api/schools/{id}/subscription/cancel",
];

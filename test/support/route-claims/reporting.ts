/** Block 5 (reporting): every route attacked and probed in test/integration/reporting-tenancy.test.ts. */
export const suite = "reporting tenancy";

const STUDENT = ["", "/charts/progress", "/charts/retention", "/charts/reviews", "/charts/time", "/csv"].map(s => `GET /api/reporting/students/{id}${s}`);
const CLASS = ["", "/charts/activity", "/charts/ai-complexity", "/charts/completion", "/charts/heatmap", "/charts/live", "/csv", "/heatmap", "/pdf"].map(s => `GET /api/reporting/classes/{id}${s}`);
const SCHOOL = ["", "/charts/active-users", "/charts/completion", "/charts/engagement", "/charts/invoices", "/csv"].map(s => `GET /api/reporting/school${s}`);
const PLATFORM = ["", "/charts/mrr", "/charts/schools", "/charts/usage", "/csv"].map(s => `GET /api/reporting/platform${s}`);
const PUBLIC = ["", "/charts/activity", "/charts/subjects", "/csv"].map(s => `GET /api/reporting/public${s}`);

export const tenancy = [...STUDENT, ...CLASS, ...SCHOOL, ...PLATFORM, ...PUBLIC, "GET /api/reporting/status"];

/** Read routes, probed there for malformed and unknown ids, impossible periods, unknown tables and formats. */
export const badInput = [...tenancy];

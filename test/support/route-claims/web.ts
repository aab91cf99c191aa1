/** The web client's endpoints: cases in test/integration/web-tenancy.test.ts. */
export const suite = "web tenancy";

export const tenancy = ["GET /api/contacts", "GET /api/client-config"];

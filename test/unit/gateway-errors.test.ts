import { expect } from "chai";
import { Errors } from "moleculer";
import { toErrorBody } from "../../services/gateway/errors.js";
import { ClientError, ERR, conflict, tooManyRequests } from "../../services/shared/errors.js";

describe("gateway error mapping", () => {
	it("keeps a client error's status, type and data", () => {
		const out = toErrorBody(conflict("taken", ERR.EMAIL_TAKEN, { field: "email" }));
		expect(out.status).to.equal(409);
		expect(out.body.error).to.deep.equal({ type: ERR.EMAIL_TAKEN, message: "taken", data: { field: "email" } });
	});

	it("maps body-parser failures", () => {
		expect(toErrorBody({ type: "entity.parse.failed", status: 400 }).body.error.type).to.equal(ERR.MALFORMED_JSON);
		const big = toErrorBody({ type: "entity.too.large", status: 413 });
		expect(big.status).to.equal(413);
		expect(big.body.error.type).to.equal(ERR.PAYLOAD_TOO_LARGE);
	});

	it("hides server errors", () => {
		const err = new Error("connection string mongodb://secret@host failed");
		const out = toErrorBody(err);
		expect(out.status).to.equal(500);
		expect(JSON.stringify(out.body)).not.to.contain("secret");
		expect(out.body.error.type).to.equal(ERR.INTERNAL);
	});

	it("turns validation errors into 422 without echoing values", () => {
		const err = new Errors.ValidationError("bad", "VALIDATION_ERROR", [{ field: "email", type: "email", message: "bad", actual: "x".repeat(1000) }]);
		const out = toErrorBody(err);
		expect(out.status).to.equal(422);
		expect(JSON.stringify(out.body)).not.to.contain("xxxx");
	});

	it("carries Retry-After for throttling", () => {
		expect(toErrorBody(tooManyRequests(42)).retryAfter).to.equal(42);
	});

	it("answers 503 when a service is unreachable", () => {
		expect(toErrorBody(new Errors.ServiceNotAvailableError({ action: "users.me" })).status).to.equal(503);
	});

	it("keeps a service's deliberate 503 (a provider away or not configured) with its type, and hides other 5xx", () => {
		const out = toErrorBody(new ClientError("Card payments are not configured (STRIPE_SECRET_KEY is not set)", 503, ERR.PAYMENTS_UNAVAILABLE, { retryAfter: 30 }));
		expect(out.status).to.equal(503);
		expect(out.body.error.type).to.equal(ERR.PAYMENTS_UNAVAILABLE);
		expect(out.retryAfter).to.equal(30);
		// The same error restored from another node (a plain Error carrying its name).
		const remote = Object.assign(new Error("away"), { name: "ClientError", code: 503, type: ERR.PAYMENTS_UNAVAILABLE });
		expect(toErrorBody(remote).status).to.equal(503);
		expect(toErrorBody(Object.assign(new Error("boom"), { code: 503, type: "X" })).status).to.equal(500);
		expect(toErrorBody(new ClientError("x", 500, ERR.INTERNAL)).status).to.equal(500);
	});

	it("answers a database validation error (input the params schema let through) with a 422 naming the fields, not a 500", async () => {
		const { default: mongoose } = await import("mongoose");
		const schema = new mongoose.Schema({ name: { type: String, required: true }, n: Number });
		const Doc = mongoose.models.GatewayErrorsProbe ?? mongoose.model("GatewayErrorsProbe", schema);
		const err = new Doc({ name: null, n: "x" }).validateSync();
		const { status, body, lateValidation } = toErrorBody(err);
		expect(status).to.equal(422);
		expect(lateValidation).to.equal(true);
		expect(body.error.type).to.equal("VALIDATION_ERROR");
		expect((body.error.data as { field: string }[]).map(p => p.field).sort()).to.deep.equal(["n", "name"]);
		expect(JSON.stringify(body), "no value echoed").not.to.include('"x"');
	});
});

import { expect } from "chai";
import { ClientError } from "../../services/shared/errors.js";
import { RETRY, retryOnConflict } from "../../services/shared/optimistic.js";

describe("retryOnConflict", () => {
	it("runs the attempt again while it answers RETRY, and answers the first result", async () => {
		const seen: number[] = [];
		const result = await retryOnConflict(async n => {
			seen.push(n);
			return n < 3 ? RETRY : "written";
		});
		expect(result).to.equal("written");
		expect(seen).to.deep.equal([0, 1, 2, 3]);
	});

	it("gives up with 409 CONFLICT after the bounded number of attempts", async () => {
		let calls = 0;
		const err = await retryOnConflict(
			async () => {
				calls++;
				return RETRY;
			},
			{ attempts: 3, message: "moved meanwhile" },
		).catch(e => e);
		expect(calls).to.equal(3);
		expect(err).to.be.instanceOf(ClientError);
		expect(err).to.include({ code: 409, type: "CONFLICT", message: "moved meanwhile" });
	});

	it("lets an attempt's own error through at once, without retrying", async () => {
		let calls = 0;
		const err = await retryOnConflict(async () => {
			calls++;
			throw new Error("boom");
		}).catch(e => e);
		expect(err.message).to.equal("boom");
		expect(calls).to.equal(1);
	});
});

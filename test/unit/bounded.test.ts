import { expect } from "chai";
import { mapBounded } from "../../services/shared/bounded.js";

describe("mapBounded", () => {
	it("keeps the items' order and never runs more than the limit at once", async () => {
		let running = 0;
		let peak = 0;
		const out = await mapBounded([30, 5, 20, 1, 10, 2], 3, async (ms, i) => {
			running++;
			peak = Math.max(peak, running);
			await new Promise(r => setTimeout(r, ms));
			running--;
			return i * 10;
		});
		expect(out).to.deep.equal([0, 10, 20, 30, 40, 50]);
		expect(peak).to.equal(3);
	});

	it("handles an empty list and rejects with the first failure", async () => {
		expect(await mapBounded([], 4, async () => 1)).to.deep.equal([]);
		let err: unknown;
		await mapBounded([1, 2, 3], 2, async n => {
			if (n === 2) throw new Error("boom");
			return n;
		}).catch(e => (err = e));
		expect((err as Error).message).to.equal("boom");
	});
});

import { expect } from "chai";
import { confirm, recentlyConfirmed } from "../../services/learning/memory/known-students.js";

describe("memory: recently confirmed students", () => {
	it("keeps a confirmation for five minutes, per school, and forgets it after", () => {
		const t0 = 1_000_000_000_000;
		confirm("school-a", ["s1", "s2"], t0);
		expect([...recentlyConfirmed("school-a", ["s1", "s2", "s3"], t0 + 299_000)]).to.deep.equal(["s1", "s2"]);
		expect(recentlyConfirmed("school-b", ["s1"], t0 + 1000).size, "another school's confirmation does not count").to.equal(0);
		expect(recentlyConfirmed("school-a", ["s1"], t0 + 300_001).size, "expired").to.equal(0);
	});
});

import { expect } from "chai";
import { GroupCommit } from "../../rooms/group-commit.js";
import { groupSessionId } from "../../services/learning/live/group-session-id.js";
import { CODE_PATTERN, distributionKeys, joinCode, MAX_POINTS, normalizeCode, points, rank } from "../../services/learning/live/live-scoring.js";

describe("live scoring (unit)", () => {
	it("rewards right answers by speed, 500 to 1000 points, and wrong ones with 0", () => {
		expect(points(1, 10_000, 10_000)).to.equal(MAX_POINTS);
		expect(points(1, 0, 10_000)).to.equal(500);
		expect(points(1, 5_000, 10_000)).to.equal(750);
		expect(points(0.5, 10_000, 10_000), "partial credit").to.equal(500);
		expect(points(0, 10_000, 10_000)).to.equal(0);
		expect(points(1, -300, 10_000), "late within the grace").to.equal(500);
		expect(points(1, 20_000, 10_000), "never above the maximum").to.equal(MAX_POINTS);
	});

	it("ranks by score with shared ranks for ties", () => {
		const ranked = rank([
			{ studentId: "b", score: 500 },
			{ studentId: "a", score: 900 },
			{ studentId: "c", score: 500 },
			{ studentId: "d", score: 0 },
		]);
		expect(ranked.map(r => [r.studentId, r.rank])).to.deep.equal([["a", 1], ["b", 2], ["c", 2], ["d", 4]]);
	});

	it("makes short unambiguous join codes and reads them back as typed", () => {
		const code = joinCode();
		expect(code).to.match(CODE_PATTERN);
		expect(code).to.not.match(/[01OIL]/);
		expect(normalizeCode(" ab-c d2 ")).to.equal("ABCD2");
	});

	it("buckets answers for the distribution without echoing free texts", () => {
		expect(distributionKeys("single_choice", { choiceId: "x" }, false)).to.deep.equal(["x"]);
		expect(distributionKeys("multiple_choice", { choiceIds: [] }, false)).to.deep.equal(["none"]);
		expect(distributionKeys("true_false", { value: true }, true)).to.deep.equal(["true"]);
		expect(distributionKeys("short_answer", { text: "Paris" }, true)).to.deep.equal(["right"]);
	});

	it("derives one revision session id per (school, live session, student)", () => {
		expect(groupSessionId("s", "l", "a")).to.match(/^[0-9a-f]{24}$/);
		expect(groupSessionId("s", "l", "a")).to.equal(groupSessionId("s", "l", "a"));
		expect(groupSessionId("s", "l", "a")).to.not.equal(groupSessionId("s", "l", "b"));
	});
});

describe("group commit (unit)", () => {
	it("writes a lone item at once and gathers items arriving meanwhile into the next batch", async () => {
		const batches: number[][] = [];
		let release!: () => void;
		const gate = new Promise<void>(r => (release = r));
		const commit = new GroupCommit<number>(async items => {
			batches.push(items);
			if (batches.length === 1) await gate;
			return items.map(i => (i === 4 ? new Error("refused") : null));
		}, 50, 1);
		const first = commit.add(1);
		const rest = [commit.add(2), commit.add(3), commit.add(4)];
		expect(batches).to.deep.equal([[1]]);
		release();
		await first;
		const outcomes = await Promise.allSettled(rest);
		expect(batches).to.deep.equal([[1], [2, 3, 4]]);
		expect(outcomes.map(o => o.status)).to.deep.equal(["fulfilled", "fulfilled", "rejected"]);
		expect(commit.pending).to.equal(0);
	});

	it("fails every item of a batch whose write fails, and refuses items once closed", async () => {
		const commit = new GroupCommit<number>(async () => {
			throw new Error("down");
		});
		const outcome = await Promise.allSettled([commit.add(1)]);
		expect(outcome[0].status).to.equal("rejected");
		commit.close();
		await commit.add(2).then(
			() => expect.fail("accepted after close"),
			err => expect(err.message).to.equal("closed"),
		);
	});
});

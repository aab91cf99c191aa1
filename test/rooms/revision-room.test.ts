/**
 * `solo live revision`: scenario 2 over WebSocket. The room pushes each item (without its key), runs its
 * timer and answers with immediate feedback, through the revision service's own actions: the session it
 * drives is the REST flow's session, answer for answer.
 */
import type { Room } from "@colyseus/sdk";
import { expect } from "chai";
import { joinFails, realtimeEndpoint } from "../support/chat.js";
import { expectNoAnswerKeys } from "../support/learning-sessions.js";
import { asLearningSchool, leaveAll, liveSchool, nameOfItem, RIGHT_LIVE, sdk, Wire, type LiveSchool } from "../support/live.js";
import { http } from "../support/platform.js";

describe("solo live revision", function () {
	this.timeout(60_000);
	let s: LiveSchool;
	const rooms: Room[] = [];

	before(async () => {
		s = await liveSchool({ students: 2 });
	});

	afterEach(async () => {
		await leaveAll(rooms.splice(0));
	});

	it("pushes items, gives feedback at once and stores the same session as the REST flow", async () => {
		const endpoint = await realtimeEndpoint();
		const room = await sdk(endpoint, s.students[0].token).create("revision", { pathId: s.pathId, stepId: s.stepId });
		rooms.push(room);
		const wire = new Wire(room);
		const answered = new Set<string>();
		let item = (await wire.next("item")).item;
		expect((await wire.next("item")).timeLimitMs).to.be.greaterThan(0);
		// Another student may not step into it.
		expect((await joinFails(sdk(endpoint, s.students[1].token).joinById(room.roomId))).message).to.match(/someone else|full|locked/i);
		room.send("answer", { clientId: "bad-1", answer: "not an object" });
		expect(await wire.next("error", e => e.clientId === "bad-1")).to.include({ type: "VALIDATION_ERROR" });

		let n = 0;
		while (item) {
			expectNoAnswerKeys(wire.everything(), asLearningSchool(s), answered, `before answering ${item.id}`);
			const name = item.kind === "flashcard" ? undefined : nameOfItem(s, item.id);
			room.send("answer", { clientId: `c${n}`, answer: name ? RIGHT_LIVE[name] : { rating: 3 } });
			const feedback = await wire.next("feedback", f => f.itemId === item.id);
			expect(feedback.correct).to.equal(true);
			expect(feedback.feedback.id, "the key, once answered").to.equal(item.id);
			answered.add(item.id);
			n++;
			item = feedback.remaining > 0 ? (await wire.next("item", m => !answered.has(m.item.id))).item : null;
		}
		const summary = await wire.next("summary");
		expect(summary).to.include({ status: "completed", answered: n, correct: n });

		const stored = await http("GET", `/api/revision-sessions/${wire.state.sessionId}`, { token: s.students[0].token });
		expect(stored.status).to.equal(200);
		expect(stored.body).to.include({ status: "completed", mode: "normal" });
		expect(stored.body.answers.map((a: any) => a.clientId)).to.deep.equal(Array.from({ length: n }, (_, i) => `c${i}`));
		// Nothing left to review now: the same 409 as over REST, as the join's error.
		const again = sdk(endpoint, s.students[0].token).create("revision", { pathId: s.pathId, stepId: s.stepId });
		expect((await joinFails(again)).message).to.match(/nothing to review/i);
	});

	it("refuses teachers, and students not assigned to the path", async () => {
		const endpoint = await realtimeEndpoint();
		expect((await joinFails(sdk(endpoint, s.teacher.token).create("revision", { pathId: s.pathId, stepId: s.stepId }))).message).to.match(/only students/i);
		expect((await joinFails(sdk(endpoint, s.outsider.token).create("revision", { pathId: s.pathId, stepId: s.stepId }))).message).to.match(/not assigned/i);
	});
});

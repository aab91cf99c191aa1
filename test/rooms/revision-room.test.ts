/**
 * `solo live revision`: scenario 2 over WebSocket. The room pushes each item (without its key), runs its
 * timer and answers with immediate feedback, through the revision service's own actions: the session it
 * drives is the REST flow's session, answer for answer.
 */
import type { Room } from "@colyseus/sdk";
import { expect } from "chai";
import { joinFails, realtimeEndpoint } from "../support/chat.js";
import { expectNoAnswerKeys, manualLearningClock } from "../support/learning-sessions.js";
import { asLearningSchool, leaveAll, liveSchool, nameOfItem, RIGHT_LIVE, sdk, Wire, WRONG_LIVE, type LiveSchool } from "../support/live.js";
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
			// the next new item, or (all answered once) word of when the first learning step falls due
			const more = await wire.until(() => wire.of("item").find(m => !answered.has(m.item.id)) ?? wire.of("waiting")[0], "an item or a wait");
			item = more.item ?? null;
		}
		expect(n).to.equal(5);
		// every item went into its 10-minute learning step: the session waits for them; the student ends it
		expect(wire.of("waiting")[0].remaining).to.equal(5);
		room.send("end", {});
		const summary = await wire.next("summary");
		expect(summary).to.include({ status: "completed", answered: n, correct: n });

		const stored = await http("GET", `/api/revision-sessions/${wire.state.sessionId}`, { token: s.students[0].token });
		expect(stored.status).to.equal(200);
		expect(stored.body).to.include({ status: "completed", mode: "normal" });
		expect(stored.body.answers.map((a: any) => a.clientId)).to.deep.equal(Array.from({ length: n }, (_, i) => `c${i}`));
		// Nothing to review now (the steps fall due in 10 minutes): the same 409 as over REST, as the join's error.
		const again = sdk(endpoint, s.students[0].token).create("revision", { pathId: s.pathId, stepId: s.stepId });
		expect((await joinFails(again)).message).to.match(/nothing to review/i);
	});

	it("serves a wrong answer again in the same session once its learning step is due, and says when while it waits", async () => {
		// the services' shared clock, moved by hand (the room's own timer only says when to ask again)
		const clock = manualLearningClock(Date.now());
		try {
			const endpoint = await realtimeEndpoint();
			const room = await sdk(endpoint, s.students[1].token).create("revision", { pathId: s.pathId, stepId: s.stepId });
			rooms.push(room);
			const wire = new Wire(room);
			let item = (await wire.next("item")).item;
			const missed = item.id;
			const answered: string[] = [];
			for (let n = 0; item; n++) {
				const name = item.kind === "flashcard" ? undefined : nameOfItem(s, item.id);
				// the first item wrong, the others right: every new item goes into a learning step
				const answer = n === 0 ? (name ? WRONG_LIVE[name] : { rating: 1 }) : name ? RIGHT_LIVE[name] : { rating: 3 };
				const before = wire.of("feedback").length;
				room.send("answer", { clientId: `w${n}`, answer });
				const feedback = await wire.until(() => wire.of("feedback")[before], "the feedback");
				expect(feedback.correct).to.equal(n !== 0);
				answered.push(item.id);
				item = wire.of("item").length > answered.length ? wire.of("item").at(-1).item : null;
			}
			// nothing is due yet: the room says when the first step (1 minute after the wrong answer) falls due
			const waiting = await wire.next("waiting");
			expect(waiting.remaining).to.equal(answered.length);
			expect(new Date(waiting.nextAt).getTime()).to.be.closeTo(clock.now().getTime() + 60_000, 1_000);
			expect(wire.of("summary")).to.have.length(0);
			// a minute later the missed item is served again
			clock.advance(61, "s");
			room.send("next", {});
			const back = await wire.next("item", m => wire.of("item").indexOf(m) >= answered.length);
			expect(back.item.id).to.equal(missed);
			const name = back.item.kind === "flashcard" ? undefined : nameOfItem(s, missed);
			room.send("answer", { clientId: "again", answer: name ? RIGHT_LIVE[name] : { rating: 3 } });
			expect((await wire.next("feedback", f => f.itemId === missed && f.correct === true)).correct).to.equal(true);
			room.send("end", {});
			expect(await wire.next("summary")).to.include({ answered: answered.length + 1 });
			const stored = await http("GET", `/api/revision-sessions/${wire.state.sessionId}`, { token: s.students[1].token });
			expect(stored.body.answers.filter((a: any) => a.itemId === missed).map((a: any) => a.correct)).to.deep.equal([false, true]);
			expect(stored.body.queue.filter((q: any) => q.kind === "step").length).to.be.greaterThan(answered.length - 1);
		} finally {
			clock.restore();
		}
	});

	it("refuses teachers, and students not assigned to the path", async () => {
		const endpoint = await realtimeEndpoint();
		expect((await joinFails(sdk(endpoint, s.teacher.token).create("revision", { pathId: s.pathId, stepId: s.stepId }))).message).to.match(/only students/i);
		expect((await joinFails(sdk(endpoint, s.outsider.token).create("revision", { pathId: s.pathId, stepId: s.stepId }))).message).to.match(/not assigned/i);
	});
});

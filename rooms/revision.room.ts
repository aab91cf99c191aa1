/**
 * Solo revision as a live room (issue 4 §3, scenario 2 over WebSocket). The student creates it with
 * `{pathId, stepId, mode?}` (a new session) or `{sessionId}` (resume one); the room pushes the next item,
 * runs its timer and answers each answer with immediate feedback. It holds no rules of its own: it calls
 * the very actions of the REST flow as the student (`revisions.start`, `next`, `answer`, `end`), which run
 * sessions/session-logic.ts and persist the session. One implementation, two transports.
 *
 * The timer: an item is shown with a time limit, the cold-start time after which a right answer is rated Hard
 * (memory/rating.ts; once calibrated, memory rates with the student's own times). The room measures the response
 * time itself, from the item going out to the answer arriving, and passes it on; when the limit passes the student
 * is told (`timeUp`) and may still answer.
 *
 * Learning steps run within the session (sessions/session-logic.ts): when only items waiting for their step are
 * left, the room says so (`waiting {nextAt, remaining}`) and pushes the next one when it falls due (a room timer
 * for the time the service says is left); the student may also ask (`next`) at any time.
 *
 * Patch rate: 250 ms and an explicit patch at every change. One client, a handful of changes per minute:
 * the tick only has to drive the room clock (the item timer), not the display.
 */
import "./node-websocket.js";
import type { Client, Delayed } from "@colyseus/core";
import { forbidden, conflict } from "../services/shared/errors.js";
import type { StudentItem } from "../services/learning/content/redact.js";
import { timeThresholdsMs } from "../services/learning/memory/rating.js";
import { MAX_STEP_IN_SESSION_MS } from "../services/learning/sessions/session-logic.js";
import { reconnectSeconds } from "./group.room.js";
import { authenticate, checkJoin, PlatformRoom, type RoomClient } from "./platform.room.js";
import { RevisionState } from "./schema/revision-state.js";

const PATCH_RATE_MS = 250;
const CLIENT_ID = { type: "string", min: 1, max: 100, pattern: /^[A-Za-z0-9_.:-]+$/ } as const;

interface Shown {
	item: StudentItem & { id: string };
	shownAt: number;
	limitMs: number;
	timer: Delayed;
}

export class RevisionRoom extends PlatformRoom<{ state: RevisionState }> {
	maxClients = 1;
	private ownerId = "";
	private sessionId = "";
	private first: (StudentItem & { id: string }) | null = null;
	private shown: Shown | undefined;
	private busy = false;
	private last: { clientId: string; feedback: unknown } | undefined;
	private finishing: Promise<unknown> | undefined;
	private waitTimer: Delayed | undefined;

	static async onAuth(token: string) {
		return checkJoin("revision", async () => {
			const user = await authenticate(token);
			if (!user.roles.includes("student")) throw forbidden("Only students revise");
			return user;
		});
	}

	onCreate() {
		this.state = new RevisionState();
		this.patchRate = PATCH_RATE_MS;
		// itemId (optional): the item the answer is for; a client re-sending an answer after its room died names it
		// (the new room shows the next item), and gets the first recording's feedback back (issue 16).
		this.command("answer", { clientId: CLIENT_ID, answer: { type: "any" }, itemId: { type: "string", length: 24, pattern: /^[0-9a-f]{24}$/i, optional: true } }, (client, p: { clientId: string; answer: unknown; itemId?: string }) => this.answer(client, p), {
			reply: "feedback",
		});
		this.command("end", {}, client => this.finish(client), { reply: "summary" });
		this.command("next", {}, client => this.fetchNext(client));
	}

	/** The first join starts (or resumes) the session as the student; later joins must be that student. */
	protected async admit(client: RoomClient, options: Record<string, unknown>) {
		if (this.ownerId) {
			if (client.auth.id !== this.ownerId) throw forbidden("This revision room is someone else's");
			return;
		}
		if (typeof options.sessionId === "string") {
			// (a session waiting for a learning step has no item yet: joined() asks again and says when)
			const next = await this.call<{ done: boolean; remaining: number; item?: StudentItem & { id: string } }>(client, "revisions.next", { id: options.sessionId });
			if (next.done) throw conflict("This revision session is over");
			this.sessionId = options.sessionId;
			this.first = next.item ?? null;
			this.state.remaining = next.remaining;
			await this.countSoFar(client);
		} else {
			const started = await this.call<{ id: string; queue: number; item: (StudentItem & { id: string }) | null }>(client, "revisions.start", {
				pathId: options.pathId,
				stepId: options.stepId,
				...(options.mode === undefined ? {} : { mode: options.mode }),
			});
			this.sessionId = started.id;
			this.first = started.item;
			this.state.remaining = started.queue;
		}
		this.ownerId = client.auth.id;
		this.state.sessionId = this.sessionId;
	}

	protected joined(client: RoomClient) {
		if (this.first) {
			this.show(client, this.first);
			this.first = null;
		} else if (this.shown) this.resend(client);
		else void this.fetchNext(client).catch(() => undefined);
	}

	onDrop(client: Client) {
		if (this.state.status === "done") return;
		this.holdSeat(client, reconnectSeconds());
	}

	async onReconnect(client: Client) {
		await this.admit(client as RoomClient, {});
		this.resend(client);
	}

	private show(client: Client, item: StudentItem & { id: string }) {
		this.shown?.timer.clear();
		this.waitTimer?.clear();
		this.waitTimer = undefined;
		const limitMs = Math.round(timeThresholdsMs(item.expectedSeconds).slowMs);
		const shownAt = Date.now();
		const timer = this.clock.setTimeout(() => client.send("timeUp", { itemId: item.id }), limitMs);
		this.shown = { item, shownAt, limitMs, timer };
		this.state.deadline = shownAt + limitMs;
		client.send("item", { item, remaining: this.state.remaining, timeLimitMs: limitMs, deadline: shownAt + limitMs });
		this.broadcastPatch();
	}

	private resend(client: Client) {
		const shown = this.shown;
		if (!shown) return;
		client.send("item", { item: shown.item, remaining: this.state.remaining, timeLimitMs: shown.limitMs, deadline: shown.shownAt + shown.limitMs });
	}

	private async answer(client: RoomClient, p: { clientId: string; answer: unknown; itemId?: string }) {
		if (this.last?.clientId === p.clientId) return { ...(this.last.feedback as object), duplicate: true };
		if (p.itemId && p.itemId !== this.shown?.item.id) return this.earlierAnswer(client, p as { clientId: string; answer: unknown; itemId: string });
		if (this.busy || this.finishing) throw conflict("An answer is being recorded, wait for its feedback");
		const shown = this.shown;
		if (!shown || this.state.status !== "active") throw conflict("No item is waiting for an answer");
		this.busy = true;
		try {
			const result = await this.call<{ correct: boolean; next: (StudentItem & { id: string }) | null; remaining: number } & Record<string, unknown>>(client, "revisions.answer", {
				id: this.sessionId,
				clientId: p.clientId,
				itemId: shown.item.id,
				answer: p.answer,
				responseTimeMs: Date.now() - shown.shownAt,
			});
			const { next, ...feedback } = result;
			this.last = { clientId: p.clientId, feedback };
			shown.timer.clear();
			this.shown = undefined;
			this.state.deadline = 0;
			this.state.answered++;
			if (result.correct) this.state.correct++;
			this.state.remaining = result.remaining;
			// The feedback goes first, then what comes next.
			client.send("feedback", feedback);
			if (next) this.show(client, next);
			else if (result.nextAt) this.wait(client, new Date(result.nextAt as string), result.remaining);
			else void this.finish(client).then(summary => client.send("summary", summary), () => undefined);
			this.broadcastPatch();
			return undefined;
		} finally {
			this.busy = false;
		}
	}

	/**
	 * Only learning steps not yet due are left: tell the student when the next one is, and push it then. The service's
	 * clock decides what is due; the timer only says when to ask it again.
	 */
	private wait(client: Client, nextAt: Date, remaining: number) {
		this.waitTimer?.clear();
		client.send("waiting", { nextAt, remaining });
		// At least a second (no busy loop if the clocks disagree), at most the longest step a session keeps.
		const delay = Math.min(Math.max(nextAt.getTime() - Date.now(), 1_000), MAX_STEP_IN_SESSION_MS);
		this.waitTimer = this.clock.setTimeout(() => void this.fetchNext(client as RoomClient).catch(() => undefined), delay);
	}

	/** The student asks for the next item (or the timer does): shown if one is ready, else when it will be, else the end. */
	private async fetchNext(client: RoomClient): Promise<undefined> {
		if (this.finishing || this.state.status !== "active") throw conflict("This revision session is over");
		if (this.shown) {
			this.resend(client);
			return undefined;
		}
		const next = await this.call<{ done: boolean; waiting?: boolean; nextAt?: string; remaining: number; item?: StudentItem & { id: string } }>(client, "revisions.next", {
			id: this.sessionId,
		});
		this.state.remaining = next.remaining;
		if (next.item) this.show(client, next.item);
		else if (next.waiting && next.nextAt) this.wait(client, new Date(next.nextAt), next.remaining);
		else void this.finish(client).then(summary => client.send("summary", summary), () => undefined);
		this.broadcastPatch();
		return undefined;
	}

	/** Progress so far of a resumed session (answered and right), as the session stored it. */
	private async countSoFar(client: RoomClient): Promise<void> {
		const session = await this.call<{ answers?: { correct?: boolean }[] }>(client, "revisions.get", { id: this.sessionId });
		const answers = session.answers ?? [];
		this.state.answered = answers.length;
		this.state.correct = answers.filter(a => a.correct).length;
	}

	/**
	 * An answer for an item other than the one shown: the retry of an answer sent to a room that died. The
	 * session answers it from its first recording (idempotent by client id); the item shown stays.
	 */
	private async earlierAnswer(client: RoomClient, p: { clientId: string; answer: unknown; itemId: string }) {
		const result = await this.call<{ duplicate?: boolean; next?: unknown } & Record<string, unknown>>(client, "revisions.answer", { id: this.sessionId, clientId: p.clientId, itemId: p.itemId, answer: p.answer });
		if (!result.duplicate) {
			// A first answer to another queued item: counted, and the shown item is shown again.
			this.state.answered++;
			if (result.correct) this.state.correct++;
			this.state.remaining = Number(result.remaining ?? this.state.remaining);
			this.broadcastPatch();
		}
		const { next: _next, ...feedback } = result;
		return feedback;
	}

	private finish(client: RoomClient): Promise<unknown> {
		this.finishing ??= (async () => {
			const summary = await this.call(client, "revisions.end", { id: this.sessionId });
			this.waitTimer?.clear();
			this.shown?.timer.clear();
			this.shown = undefined;
			this.state.status = "done";
			this.state.deadline = 0;
			this.broadcastPatch();
			this.clock.setTimeout(() => void this.disconnect().catch(() => undefined), 250);
			return summary;
		})().catch(err => {
			this.finishing = undefined;
			throw err;
		});
		return this.finishing;
	}
}

/**
 * A teacher-led live revision session (issue 4 §2). Opened over REST (`POST /api/live-sessions`, which
 * asks a realtime node to create this room: clients cannot create one), joined by the session's teacher
 * and by its students, with the join code (`join("group", {code})`) or the room id (`joinById`).
 *
 * Flow, driven by the teacher's commands `start` / `next`, `reveal`, `pause` / `resume`, `end`:
 * lobby → question (timed) → revealed → question … → ended. A question closes at its deadline (then it
 * is revealed) or when the teacher reveals it early.
 *
 * What must not be lost goes through liveSessions (which owns the record) before anyone hears of it:
 * - an answer is graded here with the solo revision rules (sessions/session-logic.ts `evaluate`), written
 *   as a review in the student's memory (`liveSessions.recordAnswers` → `memory.recordReviews`, source
 *   group, at its true time, batched with the school's other rooms by answer-writer.ts), and only then
 *   acknowledged to its student;
 * - a reveal waits for every answer of its question to be recorded; scores change only at the reveal,
 *   so nothing a client sees before it says whether an answer was right;
 * - at the end every student's RevisionSession (mode group) is stored (`liveSessions.finish`) before
 *   the final leaderboard is broadcast.
 *
 * Points: see services/learning/live/live-scoring.ts (1000 × score × (0.5 + 0.5 × time left / limit)).
 *
 * Learning steps (services/learning/live/review-round.ts): once the planned questions are done, `next` asks a review
 * question for the item whose same-session learning step has elapsed for the most students (a wrong answer puts a
 * known item in its 10-minute relearning step), open to those students only and worth no points; when none has
 * elapsed, `next` ends the session (`nextReviewAt` in the state says when one will). Answers are stamped with the
 * learning services' clock (services/learning/learning-clock.ts), the clock memory schedules those steps with.
 *
 * Patch rate: 200 ms. The state changes rarely and in bursts (50 students answering within a few
 * seconds flip their `answered` flags): 5 patches a second show the teacher who has answered without
 * encoding and sending a patch to every client 20 times a second, which with 40 rooms of 50 is where
 * the CPU would go. The moments that matter (a question opens, a reveal, the end) are pushed at once
 * with `broadcastPatch()`, so the leaderboard never waits for the tick.
 *
 * Absence: a dropped student may reconnect (`allowReconnection`) and a student who left may join again;
 * either way their score stays (it is kept per user). When the teacher leaves or drops the session
 * pauses; if no teacher connection is back within LIVE_TEACHER_GRACE_SECONDS (default 120) the session
 * ends and is persisted like any other end.
 */
import "./node-websocket.js";
import { matchMaker, type Client, type Delayed } from "@colyseus/core";
import { randomUUID } from "node:crypto";
import { conflict, ERR, forbidden } from "../services/shared/errors.js";
import type { AuthUser } from "../services/shared/identity.js";
import { revealed } from "../services/learning/content/redact.js";
import { distributionKeys, points, rank } from "../services/learning/live/live-scoring.js";
import { evaluate, serve, type SessionItem } from "../services/learning/sessions/session-logic.js";
import { learningClock } from "../services/learning/learning-clock.js";
import { MAX_REVIEW_QUESTIONS, StepBook } from "../services/learning/live/review-round.js";
import type { LiveAnswerRecord } from "../services/learning/live/live-answer.js";
import { RoomError } from "./protocol.js";
import { authenticate, callAs, checkJoin, PlatformRoom, type RoomClient } from "./platform.room.js";
import { GroupPlayer, GroupState } from "./schema/group-state.js";
import { resumeSession, type SavedAnswer, type SavedProgress } from "./group-resume.js";

const PATCH_RATE_MS = 200;
/** Seats beyond the class's members, for a user's new connection arriving before the old one has left. */
export const SEAT_HEADROOM = 5;
/** An answer that left the client just before the deadline may arrive a little after it. */
const LATE_GRACE_MS = 500;
const CLIENT_ID = { type: "string", min: 1, max: 100, pattern: /^[A-Za-z0-9_.:-]+$/ } as const;

function secondsFromEnv(name: string, fallback: number): number {
	const raw = process.env[name]?.trim();
	if (!raw) return fallback;
	const n = Number(raw);
	if (!Number.isFinite(n) || n < 0 || n > 86_400) throw new Error(`Invalid configuration: ${name} must be a number of seconds (0..86400), got "${raw}"`);
	return n;
}
/** LIVE_TEACHER_GRACE_SECONDS: how long a session waits for its teacher (to come back, or to come at all). */
export const teacherGraceSeconds = () => secondsFromEnv("LIVE_TEACHER_GRACE_SECONDS", 120);
/** LIVE_RECONNECT_SECONDS: how long a dropped student's seat is kept for an automatic reconnection. */
export const reconnectSeconds = () => secondsFromEnv("LIVE_RECONNECT_SECONDS", 30);

// --- creation: only the server opens these rooms ---

const tickets = new Set<string>();

/** Creates a session's room on this process (realtime.openGroupRoom); a client's create lacks the ticket. */
export async function openGroupRoom(options: { liveSessionId: string; code: string; schoolId: string; resume?: boolean }): Promise<{ roomId: string }> {
	const ticket = randomUUID();
	tickets.add(ticket);
	try {
		const listing = await matchMaker.handleCreateRoom("group", { ...options, ticket });
		return { roomId: listing.roomId };
	} finally {
		tickets.delete(ticket);
	}
}

// --- room ---

type Role = "teacher" | "student";
type GroupAuth = AuthUser & { grantedLiveSessionId?: string };

interface Taken {
	questionIndex: number;
	clientId: string;
	itemId: string;
	answer: unknown;
	correct: boolean;
	score: number;
	rating: number;
	responseTimeMs: number;
	answeredAt: Date;
	/** Which answer of the student to this item in the session (memory's review key tells them apart). */
	attempt: number;
	points: number;
	durable: Promise<void>;
}

interface Question {
	index: number;
	item: SessionItem;
	/** A review question: only these students answer it, for no points. */
	reviewFor?: ReadonlySet<string>;
	startedAt: number;
	deadline: number;
	limitMs: number;
	closed: boolean;
	answers: Map<string, Taken>;
	timer?: Delayed;
}

interface Participant {
	studentId: string;
	joinedAt: Date;
	connections: number;
	score: number;
	correct: number;
	/** Recorded answers only (acknowledged ones). */
	answers: Taken[];
}

interface Loaded {
	id: string;
	schoolId: string;
	teacherId: string;
	pathOwnerId: string;
	pathId: string;
	subject: string;
	timeLimitSeconds: number;
	items: SessionItem[];
	/** Teachers and students of the session's class: the room's seats. */
	seats: number;
}

/**
 * The end stores a whole class's sessions and progress: on a loaded database (every session of a school
 * ending at once) that outlasts the broker's timeout for interactive calls (REQUEST_TIMEOUT_MS, 10 s), and
 * the final leaderboard waits for it anyway. A timeout would only make the room retry work still running.
 */
const FINISH_TIMEOUT_MS = 120_000;

export class GroupRoom extends PlatformRoom<{ state: GroupState }> {
	/** Until the session is loaded; then the class's size (onCreate). */
	maxClients = 1;
	liveSessionId = "";
	private schoolId = "";
	private session!: Loaded;
	private question: Question | undefined;
	private readonly participants = new Map<string, Participant>();
	private readonly teacherConnections = new Set<string>();
	private readonly reconnections = new Map<string, { reject: Function; userId: string }>();
	private readonly evicted = new Set<string>();
	private absenceTimer: Delayed | undefined;
	private pausedFrom: string | undefined;
	private revealing: Promise<void> | undefined;
	private ending: Promise<void> | undefined;
	private ended = false;
	private startedAt: Date | undefined;
	private readonly steps = new StepBook();
	private reviewsAsked = 0;

	/** Checks the user may take part before any seat exists (by code or by session id in the options). */
	static async onAuth(token: string, options: any): Promise<GroupAuth> {
		return checkJoin("group", async () => {
			const user = await authenticate(token);
			const code = typeof options?.code === "string" ? options.code : undefined;
			const id = typeof options?.liveSessionId === "string" ? options.liveSessionId : undefined;
			if (!code && !id) return user; // joinById: admit() checks against the room's own session
			const admitted = await callAs<{ id: string }>(user, "liveSessions.admit", code ? { code } : { id });
			return { ...user, grantedLiveSessionId: admitted.id };
		});
	}

	async onCreate(options: { liveSessionId: string; code: string; schoolId: string; ticket?: string; resume?: boolean }) {
		if (!options?.ticket || !tickets.delete(options.ticket)) throw forbidden("Live session rooms are opened over REST: POST /api/live-sessions");
		this.liveSessionId = options.liveSessionId;
		this.schoolId = options.schoolId;
		this.session = await this.systemCall<Loaded>("liveSessions.load", { id: this.liveSessionId });
		// Seats follow the class: one per teacher and student of it (one connection each), plus a few for
		// joins in flight while an older connection of the same user is being replaced.
		this.maxClients = this.session.seats + SEAT_HEADROOM;
		// The room lives as long as the session, not as long as someone is connected.
		this.autoDispose = false;
		this.patchRate = PATCH_RATE_MS;
		this.state = new GroupState();
		this.state.questionCount = this.session.items.length;

		this.command("answer", { questionIndex: { type: "number", integer: true, min: 0, max: 1000 }, clientId: CLIENT_ID, answer: { type: "any" } }, (client, p: { questionIndex: number; clientId: string; answer: unknown }) =>
			this.answer(client, p),
		{ reply: "answered" });
		for (const [type, action] of [
			["start", () => this.next()],
			["next", () => this.next()],
			["reveal", () => this.reveal()],
			["pause", () => this.pause()],
			["resume", () => this.resume()],
			["end", () => this.end("ended_by_teacher")],
		] as const) {
			this.command(type, {}, async client => {
				this.requireTeacher(client);
				if (type !== "end") this.requireRunning();
				else if (this.ended) throw conflict("This live session has ended", ERR.SESSION_CLOSED);
				await action();
				return { ok: true, status: this.state.status, questionIndex: this.state.questionIndex };
			}, { reply: "done" });
		}
		// The session's previous room died with its realtime process: take over from what was saved (issue 16).
		if (options.resume) await this.resumeFromStore();
		// Until the teacher joins, the grace period runs: a session nobody runs ends by itself.
		this.startAbsence();
	}

	// --- joining and leaving ---

	protected async admit(client: RoomClient, _options: Record<string, unknown>) {
		if (this.ended || this.ending) throw conflict("This live session has ended", ERR.SESSION_CLOSED);
		const auth = client.auth as GroupAuth;
		if (auth.grantedLiveSessionId && auth.grantedLiveSessionId !== this.liveSessionId) throw forbidden("This room is another live session");
		// Always asked again for this room's own session: a grant for the options' session says nothing of it.
		const admitted = await this.call<{ id: string; role: Role }>(client, "liveSessions.admit", { id: this.liveSessionId });
		client.userData = { role: admitted.role };
	}

	protected joined(client: RoomClient) {
		if (this.roleOf(client) === "teacher") {
			this.teacherConnections.add(client.sessionId);
			this.teacherBack();
			this.sendCurrent(client);
			return;
		}
		const studentId = client.auth.id;
		let participant = this.participants.get(studentId);
		if (!participant) {
			participant = { studentId, joinedAt: new Date(), connections: 0, score: 0, correct: 0, answers: [] };
			this.participants.set(studentId, participant);
			const player = new GroupPlayer();
			this.state.players.set(studentId, player);
			this.refreshRanks();
		}
		participant.connections++;
		this.state.players.get(studentId)!.connected = true;
		this.sendCurrent(client);
	}

	protected left(client: RoomClient) {
		if (!client.userData) return; // refused at admission
		if (this.roleOf(client) === "teacher") {
			this.teacherConnections.delete(client.sessionId);
			if (this.teacherConnections.size === 0) this.teacherAway();
			return;
		}
		const participant = this.participants.get(client.auth.id);
		if (!participant) return;
		participant.connections = Math.max(0, participant.connections - 1);
		const player = this.state.players.get(client.auth.id);
		if (player && participant.connections === 0) player.connected = false;
	}

	onDrop(client: Client) {
		if (this.ended || this.evicted.has(client.sessionId) || !client.userData) return;
		const teacher = this.roleOf(client) === "teacher";
		if (teacher) {
			this.teacherConnections.delete(client.sessionId);
			if (this.teacherConnections.size === 0) this.teacherAway();
		} else {
			const player = this.state.players.get(this.userOf(client).id);
			const participant = this.participants.get(this.userOf(client).id);
			if (player && participant && participant.connections <= 1) player.connected = false;
		}
		const seconds = teacher ? teacherGraceSeconds() : reconnectSeconds();
		const reconnection = this.allowReconnection(client, seconds);
		this.reconnections.set(client.sessionId, Object.assign(reconnection, { userId: this.userOf(client).id }));
		reconnection.then(
			() => this.reconnections.delete(client.sessionId),
			() => this.reconnections.delete(client.sessionId),
		);
	}

	async onReconnect(client: Client) {
		await this.admit(client as RoomClient, {});
		if (this.roleOf(client) === "teacher") {
			this.teacherConnections.add(client.sessionId);
			this.teacherBack();
		} else {
			const player = this.state.players.get(this.userOf(client).id);
			if (player) player.connected = true;
		}
		this.sendCurrent(client);
	}

	protected evict(client: Client, code?: number, reason?: string): void {
		this.evicted.add(client.sessionId);
		this.reconnections.get(client.sessionId)?.reject(new Error("account changed"));
		super.evict(client, code, reason);
	}

	/** A fresh join of a user who had dropped takes the place of their pending reconnection (one seat each). */
	protected replacedSeats(userId: string, current: RoomClient): void {
		for (const [sessionId, pending] of this.reconnections) {
			if (pending.userId === userId && sessionId !== current.sessionId) pending.reject(new Error("replaced by a new connection"));
		}
	}

	protected async disposed() {
		// A room disposed without an end (the process stops): the session is still closed and persisted.
		if (!this.ended && this.session) await this.end("room_closed").catch(err => this.context.logger.warn(`Live session ${this.liveSessionId} could not be closed`, err));
	}

	// --- the teacher's commands ---

	private async next(): Promise<void> {
		if (this.revealing) await this.revealing;
		const status = this.state.status;
		if (status === "paused") throw conflict("The session is paused: resume it first");
		if (status === "question") throw conflict("The current question is still open: reveal it first");
		const index = this.state.questionIndex + 1;
		let item = this.session.items[index];
		let reviewFor: Set<string> | undefined;
		if (index >= this.session.items.length) {
			// The planned questions are done: a review question for a learning step that has elapsed, else the end.
			const round = this.reviewsAsked < MAX_REVIEW_QUESTIONS ? this.steps.choose(learningClock.now().getTime()) : null;
			item = round ? this.session.items.find(i => i.id === round.itemId)! : item;
			if (!round || !item) return this.end("completed");
			this.steps.asking(round);
			this.reviewsAsked++;
			reviewFor = new Set(round.studentIds);
		}
		this.startedAt ??= new Date();
		const now = Date.now();
		const limitMs = this.session.timeLimitSeconds * 1000;
		this.question = { index, item, ...(reviewFor ? { reviewFor } : {}), startedAt: now, deadline: now + limitMs, limitMs, closed: false, answers: new Map() };
		this.state.review = reviewFor !== undefined;
		this.state.nextReviewAt = this.steps.nextDueAt() ?? 0;
		this.state.status = "question";
		this.state.questionIndex = index;
		this.state.deadline = this.question.deadline;
		this.state.remainingMs = limitMs;
		this.state.answeredCount = 0;
		this.state.distribution.clear();
		this.state.players.forEach(p => (p.answered = false));
		this.armDeadline(limitMs);
		this.saveProgress();
		this.broadcast("question", this.questionMessage());
		this.broadcastPatch();
	}

	private reveal(): Promise<void> {
		const q = this.question;
		if (!q || q.closed) throw conflict("No question is open");
		q.closed = true;
		q.timer?.clear();
		this.revealing = this.completeReveal(q).finally(() => (this.revealing = undefined));
		return this.revealing;
	}

	private async completeReveal(q: Question): Promise<void> {
		// Only once every answer of the question is recorded (or failed) is anything about it told.
		await Promise.allSettled([...q.answers.values()].map(t => t.durable));
		const distribution: Record<string, number> = {};
		for (const [studentId, taken] of q.answers) {
			const participant = this.participants.get(studentId);
			if (!participant) continue;
			participant.score += taken.points;
			if (taken.correct) participant.correct++;
			for (const key of distributionKeys(q.item.kind, taken.answer, taken.correct)) distribution[key] = (distribution[key] ?? 0) + 1;
		}
		this.state.distribution.clear();
		for (const [key, count] of Object.entries(distribution)) this.state.distribution.set(key, count);
		this.refreshRanks();
		if (this.state.status !== "paused") this.state.status = "revealed";
		else this.pausedFrom = "revealed";
		this.saveProgress();
		this.state.deadline = 0;
		this.state.remainingMs = 0;
		this.broadcast("reveal", { questionIndex: q.index, itemId: q.item.id, feedback: revealed(q.item), distribution });
		for (const client of this.clients) {
			if (this.roleOf(client) !== "student") continue;
			const studentId = this.userOf(client).id;
			const taken = q.answers.get(studentId);
			const participant = this.participants.get(studentId);
			client.send("result", {
				questionIndex: q.index,
				answered: !!taken,
				correct: taken?.correct ?? false,
				points: taken?.points ?? 0,
				score: participant?.score ?? 0,
				rank: this.state.players.get(studentId)?.rank ?? 0,
			});
		}
		this.broadcastPatch();
	}

	private pause(): void {
		if (this.state.status === "paused") return;
		this.pausedFrom = this.state.status;
		const q = this.question;
		if (q && this.state.status === "question") {
			q.timer?.clear();
			this.state.remainingMs = Math.max(0, q.deadline - Date.now());
			this.state.deadline = 0;
		}
		this.state.status = "paused";
		this.saveProgress();
		this.broadcastPatch();
	}

	private resume(): void {
		if (this.state.status !== "paused") throw conflict("The session is not paused");
		const resumeTo = this.pausedFrom ?? "lobby";
		this.pausedFrom = undefined;
		const q = this.question;
		if (q && resumeTo === "question" && !q.closed) {
			q.deadline = Date.now() + this.state.remainingMs;
			this.state.deadline = q.deadline;
			this.armDeadline(this.state.remainingMs);
		}
		this.state.status = resumeTo;
		this.saveProgress();
		this.broadcastPatch();
	}

	/** Ends once, whoever asks (the teacher, the last `next`, the teacher's absence, disposal). */
	private end(reason: string): Promise<void> {
		this.ending ??= this.completeEnd(reason).catch(err => {
			this.ending = undefined;
			// The teacher hears a typed error; the operator needs the cause (a timeout, a refusal) as well.
			this.context.logger.error(`Live session ${this.liveSessionId} could not be ended (${reason})`, err);
			throw err;
		});
		return this.ending;
	}

	private async completeEnd(reason: string): Promise<void> {
		this.absenceTimer?.clear();
		if (this.question && !this.question.closed) await this.reveal();
		else if (this.revealing) await this.revealing;
		const endedAt = new Date();
		const standings = rank([...this.participants.values()].map(p => ({ studentId: p.studentId, score: p.score, answered: p.answers.length, correct: p.correct })));
		const started = this.startedAt !== undefined;
		await this.systemCall("liveSessions.finish", {
			id: this.liveSessionId,
			reason,
			startedAt: this.startedAt ?? endedAt,
			endedAt,
			// A session that never asked a question leaves no revision session behind.
			students: started
				? [...this.participants.values()].map(p => ({
						studentId: p.studentId,
						joinedAt: p.joinedAt,
						answers: p.answers.map(a => ({
							itemId: a.itemId,
							clientId: a.clientId,
							correct: a.correct,
							score: a.score,
							rating: a.rating,
							responseTimeMs: a.responseTimeMs,
							answeredAt: a.answeredAt,
							...(a.attempt > 1 ? { attempt: a.attempt } : {}),
						})),
					}))
				: [],
			leaderboard: standings,
		}, { timeout: FINISH_TIMEOUT_MS });
		this.ended = true;
		this.question?.timer?.clear();
		this.state.status = "ended";
		this.state.deadline = 0;
		this.broadcast("ended", { reason, leaderboard: standings });
		this.broadcastPatch();
		this.autoDispose = true;
		// Let the last frames leave before the sockets close.
		this.clock.setTimeout(() => void this.disconnect().catch(() => undefined), 250);
	}

	// --- answers ---

	private async answer(client: RoomClient, p: { questionIndex: number; clientId: string; answer: unknown }) {
		if (this.roleOf(client) !== "student") throw forbidden("Only students answer");
		const studentId = client.auth.id;
		const participant = this.participants.get(studentId);
		const q = this.question;
		if (!participant || !q || p.questionIndex !== q.index) throw conflict("This question is not open");
		const mine = q.answers.get(studentId);
		if (mine) {
			if (mine.clientId !== p.clientId) throw conflict("You have already answered this question", ERR.ALREADY_ANSWERED);
			await mine.durable; // a retry: acknowledged once the first is recorded
			return this.ack(mine, true);
		}
		if (this.state.status === "paused") throw conflict("The session is paused");
		if (q.closed || this.state.status !== "question") throw conflict("This question is closed");
		if (q.reviewFor && !q.reviewFor.has(studentId)) throw conflict("This review question is for the classmates whose learning step it is");
		const now = Date.now();
		const remainingMs = q.deadline - now;
		if (remainingMs < -LATE_GRACE_MS) throw conflict("Time is up for this question");
		const responseTimeMs = Math.max(0, q.limitMs - remainingMs);
		// The same grading and rating as a solo session (a malformed answer is a 422, and nothing is taken).
		const evaluated = evaluate(q.item, p.answer, responseTimeMs, 0);
		const taken: Taken = {
			questionIndex: q.index,
			clientId: p.clientId,
			itemId: q.item.id,
			answer: p.answer,
			...evaluated,
			responseTimeMs,
			// the learning services' clock: memory schedules the learning steps with it
			answeredAt: learningClock.now(),
			attempt: this.steps.attempt(studentId, q.item.id),
			// a review question counts for memory, not for the leaderboard
			points: q.reviewFor ? 0 : points(evaluated.score, remainingMs, q.limitMs),
			durable: Promise.resolve(),
		};
		q.answers.set(studentId, taken);
		taken.durable = this.context.answers.add(this.schoolId, this.answerRecord(studentId, taken)).then(
			recorded => {
				// memory rated the answer (with the student's own response times) and may have put the item in a step
				taken.rating = recorded.rating;
				this.steps.record(studentId, taken.itemId, taken.answeredAt.getTime(), recorded);
				this.state.nextReviewAt = this.steps.nextDueAt() ?? 0;
				participant.answers.push(taken);
				const player = this.state.players.get(studentId);
				if (player) player.answered = true;
				this.state.answeredCount++;
			},
			err => {
				// Not recorded: the student may send it again.
				if (q.answers.get(studentId) === taken) q.answers.delete(studentId);
				throw err;
			},
		);
		await taken.durable;
		return this.ack(taken, false);
	}

	/** The acknowledgement says the answer is recorded, and nothing about whether it is right. */
	private ack(taken: Taken, duplicate: boolean) {
		return { questionIndex: taken.questionIndex, clientId: taken.clientId, recorded: true, duplicate };
	}

	private answerRecord(studentId: string, taken: Taken): LiveAnswerRecord {
		return {
			liveSessionId: this.liveSessionId,
			pathId: this.session.pathId,
			teacherId: this.session.pathOwnerId,
			subject: this.session.subject,
			studentId,
			itemId: taken.itemId,
			clientId: taken.clientId,
			correct: taken.correct,
			score: taken.score,
			rating: taken.rating,
			responseTimeMs: taken.responseTimeMs,
			answeredAt: taken.answeredAt,
			...(taken.attempt > 1 ? { attempt: taken.attempt } : {}),
			// What a room taking over after a crash rebuilds the session from (issue 16).
			questionIndex: taken.questionIndex,
			points: taken.points,
			answer: taken.answer,
		} as LiveAnswerRecord;
	}

	// --- helpers ---

	private roleOf(client: Client): Role | undefined {
		return (client.userData as { role?: Role } | undefined)?.role;
	}

	private requireTeacher(client: Client): void {
		if (this.roleOf(client) !== "teacher") throw forbidden("Only the session's teacher controls it");
	}

	private requireRunning(): void {
		if (this.ended || this.ending) throw conflict("This live session has ended", ERR.SESSION_CLOSED);
	}

	private armDeadline(ms: number): void {
		const q = this.question!;
		q.timer?.clear();
		q.timer = this.clock.setTimeout(() => {
			if (q.closed || this.state.status !== "question") return;
			this.reveal().catch(err => this.context.logger.error(`Live session ${this.liveSessionId}: reveal at the deadline failed`, err));
		}, Math.max(0, ms));
	}

	private questionMessage() {
		const q = this.question!;
		return {
			index: q.index,
			count: this.session.items.length,
			...(q.reviewFor ? { review: true, for: [...q.reviewFor] } : {}),
			item: serve(q.item),
			timeLimitMs: q.limitMs,
			deadline: this.state.status === "paused" ? 0 : q.deadline,
			remainingMs: this.state.status === "paused" ? this.state.remainingMs : Math.max(0, q.deadline - Date.now()),
		};
	}

	/** A late joiner or a reconnected client gets the open question, and a student their own acknowledgement. */
	private sendCurrent(client: Client): void {
		const q = this.question;
		if (!q || q.closed) return;
		client.send("question", this.questionMessage());
		if (this.roleOf(client) !== "student") return;
		const mine = q.answers.get(this.userOf(client).id);
		if (mine) mine.durable.then(() => client.send("answered", this.ack(mine, true)), () => undefined);
	}

	private refreshRanks(): void {
		for (const standing of rank([...this.participants.values()])) {
			const player = this.state.players.get(standing.studentId);
			if (player) {
				player.score = standing.score;
				player.rank = standing.rank;
			}
		}
	}

	private startAbsence(): void {
		this.absenceTimer?.clear();
		this.absenceTimer = this.clock.setTimeout(() => {
			this.end("teacher_left").catch(err => this.context.logger.error(`Live session ${this.liveSessionId}: ending after the teacher left failed`, err));
		}, teacherGraceSeconds() * 1000);
	}

	private teacherAway(): void {
		if (this.ended || this.ending) return;
		this.state.teacherConnected = false;
		if (this.state.status !== "paused") this.pause();
		this.startAbsence();
	}

	private teacherBack(): void {
		this.absenceTimer?.clear();
		this.absenceTimer = undefined;
		this.state.teacherConnected = true;
	}

	// --- surviving the process (issue 16) ---

	private progressWrites: Promise<unknown> = Promise.resolve();

	/**
	 * Saves where the session is (liveSessions.checkpoint), in order, without making anyone wait: a lost
	 * checkpoint only means a resuming room infers the question from the answers it finds.
	 */
	private saveProgress(): void {
		const q = this.question;
		const phase = !q ? "lobby" : q.closed ? "revealed" : "question";
		const paused = this.state.status === "paused";
		const progress = {
			id: this.liveSessionId,
			questionIndex: q?.index ?? -1,
			phase,
			deadline: phase === "question" && !paused ? new Date(q!.deadline) : null,
			remainingMs: phase === "question" && paused ? this.state.remainingMs : null,
			sessionStartedAt: this.startedAt ?? null,
		};
		this.progressWrites = this.progressWrites
			.then(() => this.systemCall("liveSessions.checkpoint", progress))
			.catch(err => this.context.logger.warn(`Live session ${this.liveSessionId}: saving its progress failed`, (err as Error)?.message ?? err));
	}

	/** Rebuilds the session from what was saved (rooms/group-resume.ts); it comes back paused until its teacher is here. */
	private async resumeFromStore(): Promise<void> {
		const saved = await this.systemCall<{ progress: SavedProgress | null; answers: (SavedAnswer & { answer?: unknown; attempt?: number })[] }>("liveSessions.resumeState", { id: this.liveSessionId });
		const limitMs = this.session.timeLimitSeconds * 1000;
		const resumed = resumeSession(saved.progress, saved.answers, limitMs, Date.now());
		const taken = (a: SavedAnswer & { answer?: unknown; attempt?: number }): Taken => ({
			questionIndex: a.questionIndex,
			clientId: a.clientId,
			itemId: a.itemId,
			attempt: a.attempt ?? 1,
			answer: a.answer,
			correct: a.correct,
			score: a.score,
			rating: a.rating,
			responseTimeMs: a.responseTimeMs ?? 0,
			answeredAt: new Date(a.answeredAt),
			points: a.points,
			durable: Promise.resolve(),
		});
		this.startedAt = resumed.sessionStartedAt;
		for (const p of resumed.participants) {
			this.participants.set(p.studentId, { studentId: p.studentId, joinedAt: p.joinedAt, connections: 0, score: p.score, correct: p.correct, answers: p.answers.map(taken) });
			const player = new GroupPlayer();
			player.connected = false;
			this.state.players.set(p.studentId, player);
		}
		this.refreshRanks();
		if (resumed.questionIndex >= 0) {
			const now = Date.now();
			const answers = new Map<string, Taken>();
			for (const [studentId, a] of resumed.current) answers.set(studentId, taken(a));
			this.question = { index: resumed.questionIndex, item: this.session.items[resumed.questionIndex], startedAt: now, deadline: now + resumed.remainingMs, limitMs, closed: resumed.phase === "revealed", answers };
			this.state.questionIndex = resumed.questionIndex;
			this.state.answeredCount = answers.size;
			for (const studentId of answers.keys()) {
				const player = this.state.players.get(studentId);
				if (player) player.answered = true;
			}
		}
		this.pausedFrom = resumed.phase;
		this.state.status = "paused";
		this.state.deadline = 0;
		this.state.remainingMs = resumed.remainingMs;
		this.context.logger.info(`Live session ${this.liveSessionId} resumed from the store at question ${resumed.questionIndex} (${resumed.phase}) with ${saved.answers.length} answers`);
	}

	/** The room's own calls: as the system principal confined to the session's school. */
	private systemCall<R = unknown>(action: string, params: Record<string, unknown>, opts: { timeout?: number } = {}): Promise<R> {
		return this.call<R>({ id: "system", schoolId: this.schoolId, roles: ["system"] }, action, params, opts);
	}
}

/**
 * A revision session as pure functions over its state, so the HTTP service (revisions.service.ts) and the
 * live rooms (issue 4, over WebSocket) drive the very same rules. Nothing here does I/O or reads a clock:
 * callers pass "now", the items and the memory states; they persist the state and feed memory.
 *
 * Life of a session:
 * 1. `planQueue`: the step's items in the order the spacing rules give (spacing.ts: due first, lowest
 *    retrievability first, then the day's quota of new items, then, in practice mode, items ahead of time).
 *    Lessons are reading material: they take no answer, so they are not queued.
 * 2. `openSession`: the state, with that queue.
 * 3. `currentItemId` / `serve`: the next item to answer, redacted (redact.ts): no answer key leaves.
 * 4. `takeAnswer`: grades a question on the server (grading.ts) or takes a flashcard's self-rating, turns it
 *    into an FSRS rating (rating.ts), and appends the answer. A retry with the same client id gets the first
 *    result back (`duplicate: true`) and changes nothing.
 * 5. Learning steps run within the session, as Anki's learning queue does: when memory puts the answered item in a
 *    (re)learning step that falls due within MAX_STEP_IN_SESSION_MS (the default profile: 1 and 10 minutes for a
 *    new item, 10 minutes after a lapse), `applyAnswer` queues it again for that time (kind "step"). A step entry
 *    is served as soon as it is due, before the rest of the queue; while only steps not yet due remain, there is
 *    nothing to serve yet and `nextStepAt` says when there will be. If the session ends first, nothing is lost: the
 *    item's memory state is due at its step time, and the next session's queue takes it then.
 * 6. `closeSession`: completed (asked) or abandoned (idle), with the summary: score, success rate, time spent.
 */
import type { Grade } from "ts-fsrs";
import type { ContentItem } from "../content/content-types.js";
import { grade } from "../content/grading.js";
import { forStudent, revealed, type Feedback, type StudentItem } from "../content/redact.js";
import { ratingFromAnswer, selfRating } from "../memory/rating.js";
import type { ProfileValues } from "../memory/profile-layers.js";
import { State, type MemoryCard } from "../memory/scheduler.js";
import { buildQueue, type QueueKind } from "../memory/spacing.js";
import { ClientError, ERR, conflict, invalid } from "../../shared/errors.js";

/** group: a teacher-paced live session (rooms/group.room.ts), recorded whole at its end. */
export type SessionMode = "normal" | "practice" | "group";
export type SessionStatus = "active" | "completed" | "abandoned";

export interface QueuedItem {
	itemId: string;
	/** "step": the item back for a learning step, due at `dueAt`. */
	kind: QueueKind | "step";
	dueAt?: Date | null;
}

export interface AnswerRecord {
	clientId: string;
	itemId: string;
	correct: boolean;
	/** 0..1 (partial credit for some multiple choice questions). */
	score: number;
	rating: Grade;
	responseTimeMs: number | null;
	answeredAt: Date;
	/** Whether the answer changed the memory model (a practice answer ahead of time does not). */
	counted: boolean;
	/** Which answer to this item in the session (1, then 2… for learning steps served again); absent: 1. */
	attempt?: number;
}

export interface SessionState {
	mode: SessionMode;
	status: SessionStatus;
	queue: QueuedItem[];
	answers: AnswerRecord[];
	startedAt: Date;
	lastActivityAt: Date;
	endedAt: Date | null;
}

export interface SessionSummary {
	/** Mean answer score, 0..1 (0 with no answer). */
	score: number;
	/** Share of right answers (recalled flashcards count as right), 0..1. */
	successRate: number;
	/** From the start to the last activity: the end request, or the last answer for an abandoned session. */
	timeSpentMs: number;
	answered: number;
	correct: number;
}

/** An item the session logic can serve: a stored content item with its id. */
export type SessionItem = ContentItem & { id: string };

/** Longest queue a session takes; a student works through more by starting another session. */
export const MAX_QUEUE = 50;
/** Longest response time taken as given; longer ones are capped (a tab left open is not thinking time). */
export const MAX_RESPONSE_MS = 30 * 60_000;
/**
 * A learning step falling due within this long after the answer comes back in the same session; a longer one
 * ("1h", "1d") leaves the item to a later session, due at its step time. 30 minutes: the default idle timeout.
 */
export const MAX_STEP_IN_SESSION_MS = 30 * 60_000;
/** An item comes back at most this many times in one session (then it waits for the next session). */
export const MAX_STEPS_PER_ITEM = 5;

export interface PlanInput {
	/** The step's items in the step's order, with their kind (lessons are left out of the queue). */
	items: readonly { id: string; kind: string }[];
	/** The student's memory states for those items (others are never seen). */
	states: readonly { itemId: string; card: MemoryCard }[];
	now: Date;
	timeZone: string;
	newIntroducedToday: number;
	profile: Pick<ProfileValues, "newItemsPerDay" | "fsrsParameters">;
	mode: SessionMode;
	limit?: number;
}

export function planQueue(input: PlanInput): QueuedItem[] {
	const answerable = input.items.filter(i => i.kind !== "lesson").map(i => i.id);
	const inStep = new Set(answerable);
	const states = input.states.filter(s => inStep.has(s.itemId));
	const known = new Set(states.map(s => s.itemId));
	return buildQueue({
		states,
		unseen: answerable.filter(id => !known.has(id)),
		now: input.now,
		timeZone: input.timeZone,
		newIntroducedToday: input.newIntroducedToday,
		profile: input.profile,
		practice: input.mode === "practice",
		limit: input.limit ?? MAX_QUEUE,
	}).map(e => ({ itemId: e.itemId, kind: e.kind }));
}

export function openSession(queue: readonly QueuedItem[], mode: SessionMode, now: Date): SessionState {
	if (queue.length === 0) throw new ClientError("Nothing to review in this step right now", 409, ERR.NOTHING_TO_REVIEW);
	return { mode, status: "active", queue: queue.map(q => ({ ...q })), answers: [], startedAt: new Date(now), lastActivityAt: new Date(now), endedAt: null };
}

/** The queue's entries still waiting for an answer: an item's k-th answer answers its k-th entry. */
function openEntries(state: SessionState): QueuedItem[] {
	const answered = new Map<string, number>();
	for (const a of state.answers) answered.set(a.itemId, (answered.get(a.itemId) ?? 0) + 1);
	const open: QueuedItem[] = [];
	for (const entry of state.queue) {
		const left = answered.get(entry.itemId) ?? 0;
		if (left > 0) answered.set(entry.itemId, left - 1);
		else open.push(entry);
	}
	return open;
}

const isReady = (entry: QueuedItem, now: Date) => !entry.dueAt || entry.dueAt.getTime() <= now.getTime();

/**
 * The next item to serve at `now`: a learning step that has fallen due (earliest first), else the first unanswered
 * item in queue order. Null when nothing is ready: everything is answered, or only steps not yet due remain.
 */
export function currentItemId(state: SessionState, now: Date): string | null {
	const open = openEntries(state);
	const steps = open.filter(e => e.kind === "step" && isReady(e, now)).sort((a, b) => a.dueAt!.getTime() - b.dueAt!.getTime());
	return (steps[0] ?? open.find(e => e.kind !== "step"))?.itemId ?? null;
}

/** When the earliest learning step still to come falls due, or null when none waits. */
export function nextStepAt(state: SessionState, now: Date): Date | null {
	const waiting = openEntries(state).filter(e => e.kind === "step" && !isReady(e, now));
	if (waiting.length === 0) return null;
	return new Date(Math.min(...waiting.map(e => e.dueAt!.getTime())));
}

/** Entries still to answer, learning steps not yet due included. */
export function remaining(state: SessionState): number {
	return openEntries(state).length;
}

/** Which answer to this item the next one is (1 for the first): review keys tell a step's answer from the first. */
export function attemptOf(state: SessionState, itemId: string): number {
	return state.answers.filter(a => a.itemId === itemId).length + 1;
}

/** The item as the student sees it before answering: never its answer key (redact.ts). */
export function serve(item: SessionItem): StudentItem {
	return forStudent(item);
}

export function findAnswer(state: SessionState, clientId: string): AnswerRecord | undefined {
	return state.answers.find(a => a.clientId === clientId);
}

export interface AnswerInput {
	clientId: string;
	itemId: string;
	answer: unknown;
	responseTimeMs?: number | null;
}

export interface Evaluated {
	correct: boolean;
	score: number;
	rating: Grade;
}

/**
 * Grades one answer. Questions: graded here, then rated by rating.ts's rule (wrong → Again, right and slow →
 * Hard, right → Good; Easy only once calibrated and never for a first answer). Without the student's response-time
 * digest this is the cold-start rating; memory rates the answer again with the digest when asked
 * (`rateFromAnswer`), and its rating is the one kept. Flashcards: `{rating: 1..4}`, the student's own; a card
 * rated above Again counts as recalled (right).
 */
export function evaluate(item: SessionItem, answer: unknown, responseTimeMs: number | null, extraTimePercent: number, firstAnswer?: boolean): Evaluated {
	if (item.kind === "lesson") throw invalid("itemId", "a lesson takes no answer");
	if (item.kind === "flashcard") {
		const raw = typeof answer === "object" && answer !== null ? (answer as { rating?: unknown }).rating : undefined;
		let rating: Grade;
		try {
			rating = selfRating(raw);
		} catch {
			throw invalid("answer.rating", "must be 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy)");
		}
		const extra = Object.keys(answer as object).filter(k => k !== "rating");
		if (extra.length > 0) throw invalid(`answer.${extra[0].slice(0, 40)}`, "is not part of a flashcard answer");
		return { correct: rating > 1, score: rating > 1 ? 1 : 0, rating };
	}
	const graded = grade(item, answer);
	const rating = ratingFromAnswer({ correct: graded.score, responseTimeMs, expectedSeconds: item.expectedSeconds, extraTimePercent, ...(firstAnswer === undefined ? {} : { firstAnswer }) });
	return { correct: graded.correct, score: graded.score, rating };
}

export type TakeResult = { duplicate: true; record: AnswerRecord } | { duplicate: false; record: AnswerRecord; state: SessionState };

/**
 * Checks an answer against the session: a known client id is a retry (first result back, nothing new); the
 * session must be active; the item must be queued and not answered yet. Returns the evaluated record without
 * changing `state`: the caller keeps it (revisions.service.ts: one conditional write, so of racing answers to
 * one item exactly one is kept), records the review in memory, and applies it with `applyAnswer`.
 */
export function prepareAnswer(
	state: SessionState,
	input: AnswerInput,
	item: SessionItem,
	now: Date,
	extraTimePercent = 0,
): { duplicate: true; record: AnswerRecord } | { duplicate: false; record: AnswerRecord } {
	const previous = findAnswer(state, input.clientId);
	if (previous) {
		if (previous.itemId !== input.itemId) throw conflict("This client id was already used for another item", ERR.CONFLICT);
		return { duplicate: true, record: previous };
	}
	if (state.status !== "active") throw conflict("This session has ended", ERR.SESSION_CLOSED);
	if (!state.queue.some(q => q.itemId === input.itemId)) throw invalid("itemId", "is not an item of this session");
	if (item.id !== input.itemId) throw new Error("prepareAnswer: the item does not match the answer");
	const entry = openEntries(state).find(e => e.itemId === input.itemId);
	if (!entry) throw conflict("This item has already been answered in this session", ERR.ALREADY_ANSWERED);
	if (!isReady(entry, now)) {
		throw conflict("This item comes back in this session once its learning step is due", ERR.ALREADY_ANSWERED, { dueAt: entry.dueAt });
	}
	const responseTimeMs = input.responseTimeMs === undefined || input.responseTimeMs === null ? null : Math.min(Math.max(0, input.responseTimeMs), MAX_RESPONSE_MS);
	const evaluated = evaluate(item, input.answer, responseTimeMs, extraTimePercent, entry.kind === "new");
	const counted = !(state.mode === "practice" && entry.kind === "practice");
	return { duplicate: false, record: { clientId: input.clientId, itemId: input.itemId, ...evaluated, responseTimeMs, answeredAt: new Date(now), counted } };
}

/**
 * The state with the answer appended. `counted` (and the rating) come from memory when it knows better (practice on a
 * due item counts). `after`, the card memory stored: in a learning step due soon enough, the item is queued again.
 */
export function applyAnswer(state: SessionState, record: AnswerRecord, after?: Pick<MemoryCard, "state" | "due"> | null): SessionState {
	const next: SessionState = { ...state, answers: [...state.answers, record], lastActivityAt: new Date(record.answeredAt) };
	const step = stepEntry(next, record, after);
	return step ? { ...next, queue: [...next.queue, step] } : next;
}

/** The entry that brings the item back for its learning step, or null (no step, too far off, or back often enough). */
export function stepEntry(state: SessionState, record: AnswerRecord, after?: Pick<MemoryCard, "state" | "due"> | null): QueuedItem | null {
	if (!after || !record.counted || state.status !== "active") return null;
	if (after.state !== State.Learning && after.state !== State.Relearning) return null;
	const dueAt = new Date(after.due);
	if (dueAt.getTime() - record.answeredAt.getTime() > MAX_STEP_IN_SESSION_MS) return null;
	const repeats = state.queue.filter(q => q.itemId === record.itemId && q.kind === "step").length;
	if (repeats >= MAX_STEPS_PER_ITEM) return null;
	return { itemId: record.itemId, kind: "step", dueAt };
}

/** prepareAnswer then applyAnswer, for callers that record to memory afterwards (or not at all). */
export function takeAnswer(state: SessionState, input: AnswerInput, item: SessionItem, now: Date, extraTimePercent = 0): TakeResult {
	const prepared = prepareAnswer(state, input, item, now, extraTimePercent);
	return prepared.duplicate ? prepared : { duplicate: false, record: prepared.record, state: applyAnswer(state, prepared.record) };
}

/** What the student gets back for an answer: the grade and, now that they have answered, the key. */
export function answerFeedback(record: AnswerRecord, item: SessionItem): { correct: boolean; score: number; rating: Grade; feedback: Feedback } {
	return { correct: record.correct, score: record.score, rating: record.rating, feedback: revealed(item) };
}

export function summarize(state: SessionState, endAt: Date): SessionSummary {
	const answered = state.answers.length;
	const correct = state.answers.filter(a => a.correct).length;
	const total = state.answers.reduce((sum, a) => sum + a.score, 0);
	const round = (x: number) => Math.round(x * 10_000) / 10_000;
	return {
		score: answered === 0 ? 0 : round(total / answered),
		successRate: answered === 0 ? 0 : round(correct / answered),
		timeSpentMs: Math.max(0, endAt.getTime() - state.startedAt.getTime()),
		answered,
		correct,
	};
}

/**
 * Ends the session. Completed: asked by the student, time counted up to now. Abandoned: idle too long,
 * time counted up to the last activity (the idle time is not study time). Ending an ended session is refused:
 * callers treat a repeated end as a retry and answer with the stored summary.
 */
export function closeSession(state: SessionState, now: Date, status: "completed" | "abandoned"): { state: SessionState; summary: SessionSummary } {
	if (state.status !== "active") throw conflict("This session has ended", ERR.SESSION_CLOSED);
	const endAt = status === "completed" ? now : state.lastActivityAt;
	return { state: { ...state, status, endedAt: new Date(now) }, summary: summarize(state, endAt) };
}

/** Idle longer than `idleMs` since the last activity (start or answer). */
export function isIdle(state: SessionState, now: Date, idleMs: number): boolean {
	return state.status === "active" && now.getTime() - state.lastActivityAt.getTime() > idleMs;
}

/**
 * The durable feed as reporting reads it: each message of a channel it consumes becomes facts (counted once,
 * by id, into the daily buckets), states (the latest description of an account, a class or a path, by the
 * event's time) or register updates (schools, invoices). Pure: no I/O, no clock. A message that does not have
 * what its channel promises gives null and is dropped with a log line (redelivering it would fail the same way).
 *
 * Every fact carries its own time (`at`): the review's, the session's end, the message's creation...; buckets
 * are the local day of that time in the school's time zone, so a late or out-of-order event lands where it belongs.
 */

export type Role = "student" | "teacher" | "other";

interface FactBase {
	/** Unique per business fact; a fact already counted into a generation is not counted again. */
	id: string;
	schoolId: string;
	at: Date;
}

export interface ReviewFact extends FactBase {
	type: "review";
	studentId: string;
	itemId: string;
	pathId: string | null;
	teacherId: string | null;
	correct: boolean;
	first: boolean;
	retrievability: number | null;
	stability: number | null;
	responseTimeMs: number | null;
}

export interface SessionFact extends FactBase {
	type: "session";
	studentId: string;
	pathId: string;
	teacherId: string | null;
	mode: string;
	status: string;
	score: number;
	answered: number;
	correct: number;
	timeSpentMs: number;
	liveSessionId: string | null;
}

export interface EvaluationFact extends FactBase {
	type: "evaluation";
	studentId: string;
	pathId: string;
	teacherId: string | null;
	score: number;
	passed: boolean;
}

export interface StepFact extends FactBase {
	type: "step";
	studentId: string;
	pathId: string;
	stepId: string;
}

export interface MessageFact extends FactBase {
	type: "message";
	senderId: string;
}

export interface VisioFact extends FactBase {
	type: "visio";
	userId: string;
	left: boolean;
	seconds: number;
}

export interface AiQuestionFact extends FactBase {
	type: "ai";
	studentId: string;
	teacherId: string | null;
	pathId: string | null;
	level: number | null;
	flagged: boolean;
	tokens: number;
}

export interface AiGenerationFact extends FactBase {
	type: "aiGeneration";
	ownerId: string;
	tokens: number;
}

export type Fact = ReviewFact | SessionFact | EvaluationFact | StepFact | MessageFact | VisioFact | AiQuestionFact | AiGenerationFact;

export interface PersonState {
	type: "person";
	schoolId: string;
	userId: string;
	at: Date;
	roles?: string[];
	status?: "active" | "suspended";
	createdAt?: Date;
}

export interface ClassState {
	type: "class";
	schoolId: string;
	classId: string;
	at: Date;
	name: string;
	teacherIds: string[];
	studentIds: string[];
	removed: boolean;
}

export interface PathState {
	type: "path";
	schoolId: string;
	pathId: string;
	at: Date;
	ownerId: string | null;
	name: string;
	subject: string | null;
	status: string | null;
	classIds: string[];
	studentIds: string[];
	stepCount: number | null;
	itemIds: string[];
}

export type State = PersonState | ClassState | PathState;

export interface SchoolUpdate {
	type: "school";
	schoolId: string;
	at: Date;
	name?: string;
	timezone?: string;
	createdAt?: Date;
	/** "lost": suspended by the platform or for unpaid invoices; "active" again when reactivated. */
	status?: "active" | "lost";
}

export interface InvoiceUpdate {
	type: "invoice";
	schoolId: string;
	invoiceId: string;
	at: Date;
	status?: "pending" | "paid" | "payment_failed" | "void";
	overdue?: boolean;
	fields: Record<string, unknown>;
}

export type Register = SchoolUpdate | InvoiceUpdate;

export type Normalized = { facts: Fact[]; states: State[]; registers: Register[] };

/** Every channel reporting consumes (services/reporting/feed.service.ts subscribes to each by name). */
export const CHANNELS = [
	"users.school.created",
	"users.school.suspended",
	"users.school.reactivated",
	"users.user.created",
	"users.user.roleChanged",
	"users.user.suspended",
	"users.user.reactivated",
	"users.class.created",
	"users.class.changed",
	"learning.path.created",
	"learning.path.changed",
	"learning.review.recorded",
	"learning.session.completed",
	"learning.evaluation.submitted",
	"learning.step.completed",
	"communication.message.sent",
	"communication.visio.participantJoined",
	"communication.visio.participantLeft",
	"ai.interaction.recorded",
	"ai.generation.recorded",
	"billing.invoice.created",
	"billing.invoice.paid",
	"billing.invoice.payment_failed",
	"billing.invoice.voided",
	"billing.invoice.overdue",
	"billing.subscription.suspended",
	"billing.subscription.reactivated",
] as const;

const isStr = (v: unknown): v is string => typeof v === "string" && v.length > 0;
/** Ids that become parts of a document field path (`i.<itemId>`, `steps.<stepId>`): no dots, no dollar signs. */
const isKey = (v: unknown): v is string => typeof v === "string" && /^[A-Za-z0-9_-]{1,64}$/.test(v);
const str = (v: unknown): string | null => (isStr(v) ? v : null);
const num = (v: unknown, fallback = 0): number => (typeof v === "number" && Number.isFinite(v) ? v : fallback);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter(isStr) : []);

function date(v: unknown): Date | null {
	if (v === null || v === undefined || v === "") return null;
	const d = new Date(v as string);
	return Number.isNaN(d.getTime()) ? null : d;
}

const NONE: Normalized = { facts: [], states: [], registers: [] };
const fact = (f: Fact): Normalized => ({ facts: [f], states: [], registers: [] });
const state = (s: State): Normalized => ({ facts: [], states: [s], registers: [] });
const register = (r: Register): Normalized => ({ facts: [], states: [], registers: [r] });

/** The message as facts, states and register updates; null when it lacks what its channel promises. */
export function normalize(channel: string, m: Record<string, any>): Normalized | null {
	if (!m || typeof m !== "object" || !isStr(m.id) || !isStr(m.schoolId)) {
		// Platform staff events carry no school: nothing of theirs is reported per school.
		return m && isStr(m.id) && m.schoolId === null ? NONE : null;
	}
	const schoolId: string = m.schoolId;
	const occurred = date(m.occurredAt);
	const base = (at: Date | null) => (at ? { id: m.id as string, schoolId, at } : null);
	switch (channel) {
		case "learning.review.recorded": {
			const b = base(date(m.reviewedAt) ?? occurred);
			if (!b || !isStr(m.studentId) || !isKey(m.itemId)) return null;
			return fact({
				...b,
				type: "review",
				studentId: m.studentId,
				itemId: m.itemId,
				pathId: str(m.pathId),
				teacherId: str(m.teacherId),
				correct: m.correct === true,
				first: m.first === true,
				retrievability: typeof m.retrievability === "number" ? m.retrievability : null,
				stability: typeof m.stability === "number" ? m.stability : null,
				responseTimeMs: typeof m.responseTimeMs === "number" ? m.responseTimeMs : null,
			});
		}
		case "learning.session.completed": {
			const b = base(occurred);
			if (!b || !isStr(m.studentId) || !isStr(m.pathId)) return null;
			return fact({
				...b,
				type: "session",
				studentId: m.studentId,
				pathId: m.pathId,
				teacherId: str(m.teacherId),
				mode: str(m.mode) ?? "normal",
				status: str(m.status) ?? "completed",
				score: num(m.score),
				answered: num(m.answered),
				correct: num(m.correct),
				timeSpentMs: num(m.timeSpentMs),
				liveSessionId: str(m.liveSessionId),
			});
		}
		case "learning.evaluation.submitted": {
			const b = base(occurred);
			if (!b || !isStr(m.studentId) || !isStr(m.pathId)) return null;
			return fact({ ...b, type: "evaluation", studentId: m.studentId, pathId: m.pathId, teacherId: str(m.teacherId), score: num(m.score), passed: m.passed === true });
		}
		case "learning.step.completed": {
			const b = base(date(m.completedAt) ?? occurred);
			if (!b || !isStr(m.studentId) || !isStr(m.pathId) || !isKey(m.stepId)) return null;
			return fact({ ...b, type: "step", studentId: m.studentId, pathId: m.pathId, stepId: m.stepId });
		}
		case "communication.message.sent": {
			const b = base(occurred);
			if (!b || !isStr(m.senderId)) return null;
			return fact({ ...b, type: "message", senderId: m.senderId });
		}
		case "communication.visio.participantJoined":
		case "communication.visio.participantLeft": {
			const left = channel.endsWith("Left");
			const b = base(date(m.at) ?? occurred);
			if (!b || !isStr(m.userId) || !isStr(m.visioId)) return null;
			// Counted per LiveKit participant session, whether the webhook or the room's closing brought it.
			const id = isStr(m.participantSid) ? `visio:${m.visioId}:${m.participantSid}:${left ? "left" : "joined"}` : b.id;
			return fact({ ...b, id, type: "visio", userId: m.userId, left, seconds: left ? num(m.seconds) : 0 });
		}
		case "ai.interaction.recorded": {
			const b = base(occurred);
			if (!b || !isStr(m.studentId)) return null;
			const level = typeof m.complexity === "number" && m.complexity >= 1 && m.complexity <= 6 ? Math.round(m.complexity) : null;
			return fact({ ...b, type: "ai", studentId: m.studentId, teacherId: str(m.teacherId), pathId: str(m.pathId), level, flagged: m.flagged === true, tokens: num(m.tokens) });
		}
		case "ai.generation.recorded": {
			const b = base(occurred);
			if (!b || !isStr(m.ownerId)) return null;
			return fact({ ...b, type: "aiGeneration", ownerId: m.ownerId, tokens: num(m.tokens) });
		}
		case "users.user.created": {
			if (!occurred || !isStr(m.userId)) return null;
			const createdAt = date(m.at) ?? occurred;
			// A replayed account says if it is suspended (active is what every account starts as).
			return state({ type: "person", schoolId, userId: m.userId, at: occurred, roles: strs(m.roles), ...(m.status === "suspended" ? { status: "suspended" as const } : {}), createdAt });
		}
		case "users.user.roleChanged":
			if (!occurred || !isStr(m.userId)) return null;
			return state({ type: "person", schoolId, userId: m.userId, at: occurred, roles: strs(m.to) });
		case "users.user.suspended":
		case "users.user.reactivated":
			if (!occurred || !isStr(m.userId)) return null;
			return state({ type: "person", schoolId, userId: m.userId, at: occurred, status: channel.endsWith("suspended") ? "suspended" : "active" });
		case "users.class.created":
		case "users.class.changed":
			if (!occurred || !isStr(m.classId)) return null;
			return state({ type: "class", schoolId, classId: m.classId, at: occurred, name: str(m.name) ?? "", teacherIds: strs(m.teacherIds), studentIds: strs(m.studentIds), removed: m.removed === true });
		case "learning.path.created":
		case "learning.path.changed":
			if (!occurred || !isStr(m.pathId)) return null;
			return state({
				type: "path",
				schoolId,
				pathId: m.pathId,
				at: occurred,
				ownerId: str(m.ownerId),
				name: str(m.name) ?? "",
				subject: str(m.subject),
				status: str(m.status),
				classIds: strs(m.classIds),
				// learning.path.created lists every assigned student in studentIds, and the direct ones apart.
				studentIds: strs(m.directStudentIds ?? m.studentIds),
				stepCount: typeof m.stepCount === "number" ? m.stepCount : null,
				itemIds: strs(m.itemIds),
			});
		case "users.school.created": {
			if (!occurred) return null;
			// A replayed school says if it is suspended (lost); every school starts active.
			return register({ type: "school", schoolId, at: date(m.suspendedAt) ?? occurred, name: str(m.name) ?? undefined, timezone: str(m.timezone) ?? undefined, createdAt: date(m.at) ?? occurred, ...(m.status === "suspended" ? { status: "lost" as const } : {}) });
		}
		case "users.school.suspended":
		case "billing.subscription.suspended":
			return occurred ? register({ type: "school", schoolId, at: occurred, status: "lost" }) : null;
		case "users.school.reactivated":
		case "billing.subscription.reactivated":
			return occurred ? register({ type: "school", schoolId, at: occurred, status: "active" }) : null;
		default:
			if (channel.startsWith("billing.invoice.")) return invoice(channel, schoolId, occurred, m);
			return null;
	}
}

const INVOICE_STATUS: Record<string, InvoiceUpdate["status"]> = {
	"billing.invoice.created": "pending",
	"billing.invoice.paid": "paid",
	"billing.invoice.payment_failed": "payment_failed",
	"billing.invoice.voided": "void",
};

/** A billing event about an invoice (billing's `publish`: invoiceId, number, period, amounts in cents, currency). */
function invoice(channel: string, schoolId: string, at: Date | null, m: Record<string, any>): Normalized | null {
	if (!at || !isStr(m.invoiceId)) return null;
	const fields: Record<string, unknown> = {};
	for (const key of ["number", "period", "currency"] as const) if (isStr(m[key])) fields[key] = m[key];
	for (const key of ["totalCents", "subtotalCents", "amountDueCents"] as const) if (typeof m[key] === "number") fields[key] = m[key];
	const due = date(m.dueDate);
	if (due) fields.dueDate = due;
	if (channel === "billing.invoice.created") fields.createdAt = at;
	if (channel === "billing.invoice.paid") fields.paidAt = at;
	if (channel === "billing.invoice.payment_failed") {
		fields.failedAt = at;
		if (typeof m.attempt === "number") fields.attempts = m.attempt;
	}
	const update: InvoiceUpdate = { type: "invoice", schoolId, invoiceId: m.invoiceId, at, fields };
	if (channel === "billing.invoice.overdue") update.overdue = true;
	else if (INVOICE_STATUS[channel]) update.status = INVOICE_STATUS[channel];
	else return null;
	return register(update);
}

/**
 * One student's part of a teacher-led live session, as the RevisionSession (mode "group") stored when the
 * session ends, without a database. The room graded and recorded each answer already; this only closes it.
 */
import { closeSession, type AnswerRecord, type SessionState, type SessionSummary } from "./session-logic.js";

/** What every student of one live session shares. */
export interface GroupSessionCommon {
	liveSessionId: string;
	pathId: string;
	stepId: string;
	teacherId: string;
	subject: string;
	/** The questions asked, in order. */
	itemIds: string[];
	endedAt: Date;
}

/** One student's part: their answers, and when they started (joined, or the session started). */
export interface GroupSessionPart {
	studentId: string;
	answers: Omit<AnswerRecord, "counted">[];
	startedAt: Date;
}

/** The stored fields of the student's group session (its `_id` and `schoolId` are the caller's). */
export function groupSessionRecord(common: GroupSessionCommon, part: GroupSessionPart): SessionState & Record<string, unknown> & { summary: SessionSummary } {
	const startedAt = new Date(part.startedAt);
	const answers: AnswerRecord[] = part.answers.map(a => ({ ...a, responseTimeMs: a.responseTimeMs ?? null, answeredAt: new Date(a.answeredAt), counted: true }));
	const lastAnswer = answers.reduce((t, a) => Math.max(t, a.answeredAt.getTime()), startedAt.getTime());
	// The teacher chose the questions: no spacing rule queued them, so they are all "due" now.
	const opened: SessionState = {
		mode: "group",
		status: "active",
		queue: common.itemIds.map(itemId => ({ itemId, kind: "due" as const })),
		answers,
		startedAt,
		lastActivityAt: new Date(lastAnswer),
		endedAt: null,
	};
	const { state, summary } = closeSession(opened, new Date(Math.max(new Date(common.endedAt).getTime(), startedAt.getTime())), "completed");
	return {
		...state,
		studentId: part.studentId,
		pathId: common.pathId,
		stepId: common.stepId,
		teacherId: common.teacherId,
		subject: common.subject,
		liveSessionId: common.liveSessionId,
		summary,
	};
}

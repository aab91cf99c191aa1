/**
 * What an ended revision session (solo or group) tells the rest of the platform, in one place so the solo end
 * (revisions.end, the idle job) and the live end (revisions.recordGroupSession(s)) say exactly the same:
 * the progress entry (counted once per session id) and the durable `learning.session.completed`
 * (one message id per session, so a repeated end is deduplicated by consumers).
 */
import type { SessionRecord } from "../progress/session-tally.js";
import type { SessionMode, SessionStatus, SessionSummary } from "./session-logic.js";
import type { StudentStepRecord } from "./student-step.js";

export interface EndedSession extends Omit<StudentStepRecord, "subject"> {
	mode: SessionMode;
	status: SessionStatus;
	summary: SessionSummary;
	/** When it ended: the fact's own time, for reporting's daily buckets. */
	endedAt?: Date | string | null;
	/** A group session's live session. */
	liveSessionId?: string | null;
}

/** The session as progress counts it (the path is given beside it: progress.recordSession(s) take it once). */
export function progressEntry(session: EndedSession): SessionRecord {
	const { summary } = session;
	return {
		studentId: session.studentId,
		stepId: session.stepId,
		sessionId: session.id,
		kind: "revision",
		score: summary.score,
		successRate: summary.successRate,
		answered: summary.answered,
		timeSpentMs: summary.timeSpentMs,
	};
}

/** The durable `learning.session.completed` of the session. */
export function completedMessage(session: EndedSession) {
	return {
		id: `learning.session.completed:${session.id}`,
		schoolId: session.schoolId,
		sessionId: session.id,
		studentId: session.studentId,
		pathId: session.pathId,
		stepId: session.stepId,
		teacherId: session.teacherId,
		mode: session.mode,
		status: session.status,
		...(session.endedAt ? { occurredAt: new Date(session.endedAt).toISOString() } : {}),
		liveSessionId: session.liveSessionId ?? null,
		...session.summary,
	};
}

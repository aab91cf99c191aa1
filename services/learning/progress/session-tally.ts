/**
 * Counting finished sessions into a student's stored progress on one path, without a database: the rule
 * progress.recordSession(s) applies, whether one session or a live class's worth arrives at once.
 *
 * - A session id already counted (stored, or earlier in the same list) counts nothing again.
 * - Each new session adds one to the step's and the path's session counts, its time, and sets the step's
 *   last and best score.
 * - A step not completed yet becomes completed when its criterion holds (`criterionMet`, decided by the
 *   caller from the memory model or the evaluation's `passed`); a completed step stays completed.
 */

export interface SessionRecord {
	studentId: string;
	stepId: string;
	/** The revision session's id, or the evaluation attempt's: what makes counting idempotent. */
	sessionId: string;
	kind?: "revision" | "evaluation";
	score: number;
	answered: number;
	successRate?: number;
	timeSpentMs?: number;
	passed?: boolean;
}

export interface StoredStep {
	stepId: string;
	completed: boolean;
	completedAt: Date | null;
	sessions: number;
	lastScore: number | null;
	bestScore: number | null;
	timeSpentMs: number;
}

export interface StoredProgress {
	steps: StoredStep[];
	recordedIds: string[];
	sessions: number;
	timeSpentMs: number;
	lastActivityAt: Date | null;
}

export const NO_PROGRESS: StoredProgress = Object.freeze({ steps: [], recordedIds: [], sessions: 0, timeSpentMs: 0, lastActivityAt: null }) as StoredProgress;

export type SessionOutcome = { recorded: true; duplicate: false; stepCompleted: boolean } | { recorded: false; duplicate: true };

export interface Tally {
	/** The steps as they are to be stored (all of them, as `$set`). */
	steps: StoredStep[];
	/** The session ids counted now, in order. */
	added: string[];
	timeSpentMs: number;
	/** One per session given, in its order. */
	outcomes: SessionOutcome[];
}

/**
 * The steps some of these sessions may complete (new sessions on a step not completed yet): the only ones
 * whose criterion has to be looked up. Over-asks harmlessly when the list repeats a session.
 */
export function stepsToCheck(stored: StoredProgress, sessions: readonly SessionRecord[]): string[] {
	const counted = new Set(stored.recordedIds);
	const done = new Set(stored.steps.filter(s => s.completed).map(s => s.stepId));
	return [...new Set(sessions.filter(s => !counted.has(s.sessionId) && !done.has(s.stepId)).map(s => s.stepId))];
}

/** One student's sessions (in order) counted into their stored progress on the path. */
export function tally(stored: StoredProgress, sessions: readonly SessionRecord[], criterionMet: (session: SessionRecord) => boolean, now: Date): Tally {
	const counted = new Set(stored.recordedIds);
	const steps = stored.steps.map(s => ({ ...s }));
	const added: string[] = [];
	let timeSpentMs = 0;
	const outcomes = sessions.map((session): SessionOutcome => {
		if (counted.has(session.sessionId)) return { recorded: false, duplicate: true };
		counted.add(session.sessionId);
		added.push(session.sessionId);
		let entry = steps.find(s => s.stepId === session.stepId);
		if (!entry) steps.push((entry = { stepId: session.stepId, completed: false, completedAt: null, sessions: 0, lastScore: null, bestScore: null, timeSpentMs: 0 }));
		entry.sessions++;
		entry.lastScore = session.score;
		entry.bestScore = Math.max(entry.bestScore ?? 0, session.score);
		entry.timeSpentMs += session.timeSpentMs ?? 0;
		timeSpentMs += session.timeSpentMs ?? 0;
		if (!entry.completed && criterionMet(session)) {
			entry.completed = true;
			entry.completedAt = now;
		}
		return { recorded: true, duplicate: false, stepCompleted: entry.completed };
	});
	return { steps, added, timeSpentMs, outcomes };
}

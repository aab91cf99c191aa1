/**
 * Rebuilding a live group session in a new room after its realtime process died (issue 16): pure, from
 * what was saved, the session's progress (liveSessions.checkpoint) and its acknowledged answers
 * (LiveAnswer rows, written before each acknowledgement), so no acknowledged answer is lost and the
 * scores are the ones the class saw.
 *
 * - The current question is the one the progress names, or a later one some answer belongs to (the
 *   checkpoint of a `next` may have been lost with the process).
 * - Scores count the points of the answers of revealed questions only, as the room does: an answer of the
 *   open question scores at its reveal.
 * - The session comes back paused (its teacher is not connected yet): an open question keeps the time it
 *   had left (never less than RESUME_MIN_MS, so the class can still answer), counted again from `resume`.
 */
export const RESUME_MIN_MS = 10_000;

export interface SavedProgress {
	questionIndex: number;
	phase: "lobby" | "question" | "revealed";
	deadline: string | Date | null;
	remainingMs: number | null;
	sessionStartedAt: string | Date | null;
}

export interface SavedAnswer {
	studentId: string;
	itemId: string;
	questionIndex: number;
	clientId: string;
	correct: boolean;
	score: number;
	rating: number;
	responseTimeMs: number | null;
	points: number;
	answeredAt: string | Date;
}

export interface ResumedParticipant {
	studentId: string;
	score: number;
	correct: number;
	answers: SavedAnswer[];
	joinedAt: Date;
}

export interface ResumedSession {
	questionIndex: number;
	phase: "lobby" | "question" | "revealed";
	/** Time left on the open question when the teacher resumes (0 when none is open). */
	remainingMs: number;
	sessionStartedAt: Date | undefined;
	participants: ResumedParticipant[];
	/** The answers of the current question, by student. */
	current: Map<string, SavedAnswer>;
}

export function resumeSession(progress: SavedProgress | null, answers: SavedAnswer[], limitMs: number, now: number): ResumedSession {
	const saved = progress ?? { questionIndex: -1, phase: "lobby" as const, deadline: null, remainingMs: null, sessionStartedAt: null };
	const latestAnswered = answers.reduce((max, a) => Math.max(max, a.questionIndex), -1);
	const questionIndex = Math.max(saved.questionIndex, latestAnswered);
	const phase = questionIndex < 0 ? "lobby" : questionIndex === saved.questionIndex ? saved.phase : "question";
	const scored = (a: SavedAnswer) => a.questionIndex < questionIndex || (a.questionIndex === questionIndex && phase === "revealed");

	const byStudent = new Map<string, ResumedParticipant>();
	const current = new Map<string, SavedAnswer>();
	for (const a of answers) {
		let p = byStudent.get(a.studentId);
		if (!p) byStudent.set(a.studentId, (p = { studentId: a.studentId, score: 0, correct: 0, answers: [], joinedAt: new Date(a.answeredAt) }));
		p.answers.push(a);
		if (scored(a)) {
			p.score += a.points;
			if (a.correct) p.correct++;
		}
		if (a.questionIndex === questionIndex) current.set(a.studentId, a);
	}

	let remainingMs = 0;
	if (phase === "question") {
		const left =
			saved.questionIndex === questionIndex && saved.remainingMs !== null && saved.remainingMs !== undefined
				? saved.remainingMs
				: saved.questionIndex === questionIndex && saved.deadline
					? new Date(saved.deadline).getTime() - now
					: limitMs;
		remainingMs = Math.min(limitMs, Math.max(left, Math.min(RESUME_MIN_MS, limitMs)));
	}
	const started = saved.sessionStartedAt ? new Date(saved.sessionStartedAt) : answers.length > 0 ? new Date(answers[0].answeredAt) : undefined;
	return { questionIndex, phase, remainingMs, sessionStartedAt: started, participants: [...byStudent.values()], current };
}

import { ID } from "../../shared/params.js";

/** Validation rules of a LiveAnswer's fields but the student (liveSessions.recordAnswers and finish, revisions.recordGroupSession(s)). */
export const LIVE_ANSWER_PROPS = {
	itemId: ID,
	clientId: { type: "string", min: 1, max: 100 },
	correct: "boolean",
	score: { type: "number", min: 0, max: 1 },
	rating: { type: "number", integer: true, min: 1, max: 4 },
	responseTimeMs: { type: "number", min: 0, nullable: true, optional: true },
	answeredAt: { type: "date", convert: true },
	/** Which answer of the student to this item in the session (2 and more: a review question for a learning step). */
	attempt: { type: "number", integer: true, min: 1, max: 100, optional: true },
} as const;

/** One student's graded answer in a live group session, as the room records it (liveSessions.recordAnswers, finish). */
export interface LiveAnswer {
	studentId: string;
	itemId: string;
	clientId: string;
	correct: boolean;
	score: number;
	rating: number;
	responseTimeMs: number | null;
	answeredAt: Date;
	/** 1 (or absent) for the first answer to the item in the session; more for a review question's. */
	attempt?: number;
}

/** A LiveAnswer with the session it belongs to: a realtime node's batch gathers several sessions' answers. */
export interface LiveAnswerRecord extends LiveAnswer {
	liveSessionId: string;
	pathId: string;
	teacherId: string;
	subject: string;
}

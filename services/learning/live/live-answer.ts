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
}

/** A LiveAnswer with the session it belongs to: a realtime node's batch gathers several sessions' answers. */
export interface LiveAnswerRecord extends LiveAnswer {
	liveSessionId: string;
	pathId: string;
	teacherId: string;
	subject: string;
}

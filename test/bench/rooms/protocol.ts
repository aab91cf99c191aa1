/** What the bench's three processes exchange (sizes, the seeded plan) and the statistics they share. */
export interface BenchConfig {
	seed: number;
	sessions: number;
	studentsPerSession: number;
	questions: number;
	/** Students answer at a seeded random moment within this many ms of a question opening. */
	answerSpreadMs: number;
	chatClients: number;
	chatMessagesPerClient: number;
	bareRounds: number;
}

export interface SeedPlan {
	teacherToken: string;
	students: { id: string; token: string }[];
	/** Each session's room and the indexes (in `students`) of its class. */
	sessions: { roomId: string; students: number[] }[];
	/** Each conversation and the index of its student (the other member is the teacher). */
	conversations: { id: string; student: number }[];
}

export interface LoadResult {
	groupClients: number;
	chatClients: number;
	groupAckMs: number[];
	revealMs: number[];
	endMs: number[];
	chatMs: number[];
	bareMs: number[];
	joinSeconds: number;
	groupRunSeconds: number;
	failures: Record<string, number>;
}

export function percentile(values: readonly number[], p: number): number {
	if (values.length === 0) return NaN;
	const sorted = [...values].sort((a, b) => a - b);
	const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
	return sorted[rank];
}

export const round1 = (x: number) => Math.round(x * 10) / 10;

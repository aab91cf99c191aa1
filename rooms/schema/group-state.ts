/**
 * Synced state of a live group session, kept small: the phase, the clock of the current question, and
 * per student their score, rank, whether they answered the current question and whether they are
 * connected (the leaderboard is this map). Questions, answer keys and each student's answers never
 * enter the state: questions go out as `question` messages (redacted), keys as `reveal` after the answers
 * are recorded. The distribution of answers is filled only at the reveal.
 */
import { schema, t, type SchemaType } from "@colyseus/schema";

export const GroupPlayer = schema(
	{
		score: t.number().default(0),
		rank: t.number().default(0),
		answered: t.boolean().default(false),
		connected: t.boolean().default(true),
	},
	"GroupPlayer",
);
export type GroupPlayer = SchemaType<typeof GroupPlayer>;

export const GroupState = schema(
	{
		/** lobby | question | revealed | paused | ended */
		status: t.string().default("lobby"),
		questionIndex: t.number().default(-1),
		questionCount: t.number().default(0),
		/** Server epoch ms at which the current question closes (0 when none runs). */
		deadline: t.number().default(0),
		/** Time left on the current question while paused (and its whole limit when it opens). */
		remainingMs: t.number().default(0),
		answeredCount: t.number().default(0),
		/** The current question is a review question (a learning step, asked again of the students it is due for). */
		review: t.boolean().default(false),
		/** When the next learning step falls due for some student (learning clock, epoch ms; 0: none waits). */
		nextReviewAt: t.number().default(0),
		teacherConnected: t.boolean().default(false),
		players: t.map(GroupPlayer),
		distribution: t.map("number"),
	},
	"GroupState",
);
export type GroupState = SchemaType<typeof GroupState>;

/** Synced state of a solo live revision: progress and the clock of the item shown. Items and feedback travel as messages. */
import { schema, t, type SchemaType } from "@colyseus/schema";

export const RevisionState = schema(
	{
		/** active | done */
		status: t.string().default("active"),
		sessionId: t.string().default(""),
		remaining: t.number().default(0),
		answered: t.number().default(0),
		correct: t.number().default(0),
		/** Server epoch ms after which an answer to the shown item counts as slow (0 when none is shown). */
		deadline: t.number().default(0),
	},
	"RevisionState",
);
export type RevisionState = SchemaType<typeof RevisionState>;

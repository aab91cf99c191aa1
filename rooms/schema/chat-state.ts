/** Synced state of a chat room: who is here (user id → open connections). Messages travel as messages. */
import { schema, t, type SchemaType } from "@colyseus/schema";

export const ChatState = schema({ online: t.map("number") }, "ChatState");
export type ChatState = SchemaType<typeof ChatState>;

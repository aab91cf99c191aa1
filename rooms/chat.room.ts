/**
 * One conversation, live (scenario 3). Clients join with `{ conversationId }`; only its members get in.
 * A `send` goes through `conversations.send` as the sender, which stores the message and then broadcasts
 * `communication.message.sent`; the realtime service relays that event to this room, which is how every
 * message reaches the members here — sent from this room, another process's room, or REST — and only
 * ever after it is stored. Who is in the room is kept in the Colyseus presence (Redis when scaled out),
 * so the conversations service can notify the members who are not.
 */
import { matchMaker } from "@colyseus/core";
import { notFound } from "../services/shared/errors.js";
import { MESSAGE_RULES } from "../services/communication/chat-rules.js";
import type { AuthUser } from "../services/shared/identity.js";
import { authenticate, callAs, checkJoin, PlatformRoom, type RoomClient } from "./platform.room.js";
import { ChatState } from "./schema/chat-state.js";
import { ID, isId } from "../services/shared/params.js";

/** A member counts as present for this long after the room last said so (a crashed node is forgotten). */
export const PRESENCE_TTL_SECONDS = 60;
const PRESENCE_REFRESH_MS = 20_000;
/** One typing broadcast per client per interval; the extra ones are dropped, not answered. */
const TYPING_INTERVAL_MS = 1500;

export const presenceKey = (conversationId: string, userId: string) => `chat:here:${conversationId}:${userId}`;

type ChatAuth = AuthUser & { grantedConversationId?: string };

export class ChatRoom extends PlatformRoom<{ state: ChatState }> {
	maxClients = 20;
	conversationId = "";
	private readonly connections = new Map<string, number>();
	private readonly lastTyping = new Map<string, number>();

	/** Checks membership before any seat or room exists: nobody creates a room for someone else's conversation. */
	static async onAuth(token: string, options: any): Promise<ChatAuth> {
		return checkJoin("chat", async () => {
			const user = await authenticate(token);
			const conversationId = options?.conversationId;
			if (!isId(conversationId)) throw notFound("Conversation", String(conversationId));
			// Colyseus calls onAuth unbound: no `this` in here.
			await callAs(user, "conversations.access", { id: conversationId });
			return { ...user, grantedConversationId: conversationId };
		});
	}

	onCreate(options: { conversationId: string }) {
		this.conversationId = options.conversationId;
		this.state = new ChatState();
		// Chat needs no 20 Hz state sync: presence changes go out within 100 ms.
		this.patchRate = 100;
		this.command("send", MESSAGE_RULES, (client, params: { clientId: string; text: string }) => this.sendMessage(client, params), { reply: "sent" });
		this.command("typing", { typing: { type: "boolean", optional: true } }, (client, params: { typing?: boolean }) => this.typing(client, params.typing ?? true));
		this.command("read", { messageId: ID }, (client, params: { messageId: string }) =>
			this.call(client, "conversations.markRead", { id: this.conversationId, messageId: params.messageId }),
		);
		this.relay("conversation", this.conversationId, event => this.deliver(event));
		this.clock.setInterval(() => this.refreshPresence(), PRESENCE_REFRESH_MS);
	}

	protected async admit(client: RoomClient, _options: Record<string, unknown>) {
		const auth = client.auth as ChatAuth;
		// onAuth checked the conversation the client named; joinById names a room instead, whose own
		// conversation decides.
		if (auth.grantedConversationId !== this.conversationId) {
			await this.call(client, "conversations.access", { id: this.conversationId });
		}
	}

	protected async joined(client: RoomClient) {
		const userId = client.auth.id;
		const count = (this.connections.get(userId) ?? 0) + 1;
		this.connections.set(userId, count);
		this.state.online.set(userId, count);
		await matchMaker.presence.setex(presenceKey(this.conversationId, userId), this.roomId, PRESENCE_TTL_SECONDS);
	}

	protected async left(client: RoomClient) {
		const userId = client.auth?.id;
		if (!userId || !this.connections.has(userId)) return;
		this.lastTyping.delete(client.sessionId);
		const count = (this.connections.get(userId) ?? 1) - 1;
		if (count > 0) {
			this.connections.set(userId, count);
			this.state.online.set(userId, count);
			return;
		}
		this.connections.delete(userId);
		this.state.online.delete(userId);
		await matchMaker.presence.del(presenceKey(this.conversationId, userId));
	}

	protected async disposed() {
		await Promise.all([...this.connections.keys()].map(userId => matchMaker.presence.del(presenceKey(this.conversationId, userId))));
		this.connections.clear();
	}

	private async sendMessage(client: RoomClient, params: { clientId: string; text: string }) {
		const result = await this.call<{ message: unknown; duplicate: boolean }>(client, "conversations.send", {
			id: this.conversationId,
			clientId: params.clientId,
			text: params.text,
		});
		return { clientId: params.clientId, ...result };
	}

	private typing(client: RoomClient, typing: boolean) {
		const now = Date.now();
		if (typing && now - (this.lastTyping.get(client.sessionId) ?? 0) < TYPING_INTERVAL_MS) return undefined;
		this.lastTyping.set(client.sessionId, typing ? now : 0);
		this.broadcast("typing", { userId: client.auth.id, typing }, { except: client });
		return undefined;
	}

	/** Relayed events of this conversation (already stored by the conversations service). */
	private deliver(event: { kind: string; message?: unknown; receipt?: unknown }) {
		if (event.kind === "message") this.broadcast("message", event.message);
		else if (event.kind === "read") this.broadcast("read", event.receipt);
	}

	private refreshPresence() {
		for (const userId of this.connections.keys()) {
			// The local presence answers synchronously (no promise), the Redis one with a promise.
			Promise.resolve(matchMaker.presence.setex(presenceKey(this.conversationId, userId), this.roomId, PRESENCE_TTL_SECONDS)).catch(() => undefined);
		}
	}
}

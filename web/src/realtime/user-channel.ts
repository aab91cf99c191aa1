/**
 * The signed-in user's live channel (the `user` room): notifications arrive here the moment they are
 * created, and drive the toasts, the bell's count and the chat's unread badge.
 */
import type { Room } from "@colyseus/sdk";
import { api } from "../api/http.ts";
import type { Conversation, Notification, Page } from "../api/models.ts";
import { session } from "../api/session.ts";
import { store } from "../store.ts";
import { realtimeClient } from "./endpoint.ts";

export interface Toast {
	id: string;
	title: string;
	body?: string;
	href?: string;
}

export const toasts = store<Toast[]>([]);
export const unreadNotifications = store(0);
/** Conversations whose newest message the user has not read. */
export const unreadConversations = store<Set<string>>(new Set());
/** Notifications as they arrive, for screens that want them (the chat list reloads on a chat message). */
export const lastNotification = store<Notification | null>(null);
/** Whether the live channel is joined (notifications arrive as they happen); else only REST lists are current. */
export const channelOpen = store(false);

export function isUnread(c: Conversation, userId: string): boolean {
	const me = c.members.find(m => m.userId === userId);
	return !!c.lastMessageId && (!me?.lastReadMessageId || me.lastReadMessageId < c.lastMessageId);
}

export async function refreshCounts(): Promise<void> {
	const user = session.get()?.user;
	if (!user) return;
	const [count, conversations] = await Promise.all([
		api.get("/api/notifications/unread-count") as Promise<{ count: number }>,
		api.get("/api/conversations", { query: { pageSize: 100 } }) as Promise<Page<Conversation>>,
	]);
	unreadNotifications.set(count.count);
	unreadConversations.set(new Set(conversations.rows.filter(c => isUnread(c, user.id)).map(c => c.id)));
}

export function dismissToast(id: string): void {
	toasts.update(list => list.filter(t => t.id !== id));
}

function hrefOf(n: Notification): string | undefined {
	const conversationId = n.data?.conversationId;
	if (n.type.startsWith("chat.") && typeof conversationId === "string") return `/chat/${conversationId}`;
	return "/notifications";
}

let room: Room | undefined;
let starting: Promise<void> | undefined;

export function startUserChannel(): Promise<void> {
	const user = session.get()?.user;
	if (!user || room) return Promise.resolve();
	starting ??= (async () => {
		try {
			const client = await realtimeClient();
			const joined = await client.joinOrCreate("user", { userId: user.id });
			joined.reconnection.maxDelay = 5000;
			joined.onMessage("notification", (n: Notification) => {
				lastNotification.set(n);
				unreadNotifications.update(c => c + 1);
				const conversationId = n.data?.conversationId;
				if (typeof conversationId === "string") unreadConversations.update(s => new Set(s).add(conversationId));
				toasts.update(list => [...list.slice(-3), { id: n.id, title: n.title, body: n.body, href: hrefOf(n) }]);
				setTimeout(() => dismissToast(n.id), 8000);
			});
			joined.onLeave(() => {
				if (room === joined) {
					room = undefined;
					channelOpen.set(false);
				}
			});
			room = joined;
			channelOpen.set(true);
			await refreshCounts();
		} catch {
			// Live notifications are a comfort: the lists still load over REST.
		} finally {
			starting = undefined;
		}
	})();
	return starting;
}

export async function stopUserChannel(): Promise<void> {
	const r = room;
	room = undefined;
	channelOpen.set(false);
	unreadNotifications.set(0);
	unreadConversations.set(new Set());
	toasts.set([]);
	await r?.leave(true).catch(() => undefined);
}

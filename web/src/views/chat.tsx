/**
 * Scenario 3: conversations with unread badges, and one conversation live (the `chat` room): messages as
 * they are stored, typing, and read receipts ("Seen") on one's own messages.
 */
import type { Room } from "@colyseus/sdk";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api } from "../api/http.ts";
import type { Contact, Conversation, Message, Page as PageOf } from "../api/models.ts";
import { session } from "../api/session.ts";
import { fmtDateTime, fmtTime, useT } from "../i18n.ts";
import { realtimeClient } from "../realtime/endpoint.ts";
import { isUnread, lastNotification, refreshCounts, unreadConversations } from "../realtime/user-channel.ts";
import { navigate } from "../router.ts";
import { useStore } from "../store.ts";
import { Alert, Badge, Loading, Page, Select, errorText, newClientId, useAsync, useSubmit } from "../ui/ui.tsx";

function useContacts() {
	const contacts = useAsync(() => api.get("/api/contacts") as Promise<{ rows: Contact[] }>, []);
	return { list: contacts.data?.rows ?? [], byId: useMemo(() => new Map((contacts.data?.rows ?? []).map(c => [c.id, c])), [contacts.data]) };
}

function otherOf(c: Conversation, me: string) {
	return c.members.find(m => m.userId !== me);
}

export function ChatListView() {
	const t = useT();
	const me = session.get()!.user.id;
	const contacts = useContacts();
	const conversations = useAsync(() => api.get("/api/conversations", { query: { pageSize: 100 } }) as Promise<PageOf<Conversation>>, []);
	const notified = useStore(lastNotification);
	useEffect(() => {
		if (notified?.type.startsWith("chat.")) conversations.reload();
	}, [notified]);
	const [to, setTo] = useState("");
	const open = useSubmit(async () => {
		const conversation = (await api.post("/api/conversations", { body: { userId: to || contacts.list[0]?.id } })) as Conversation;
		navigate(`/chat/${conversation.id}`);
	});
	const nameOf = (c: Conversation) => {
		const other = otherOf(c, me);
		const contact = other && contacts.byId.get(other.userId);
		return contact ? `${contact.firstName} ${contact.lastName}` : t(`role.${(other?.role ?? "student") as "student"}`);
	};
	return (
		<Page title={t("chat.title")}>
			{conversations.loading && <Loading />}
			{conversations.error ? <Alert>{errorText(conversations.error)}</Alert> : null}
			{conversations.data?.rows.length === 0 && <p>{t("chat.none")}</p>}
			<ul class="conversations">
				{conversations.data?.rows.map(c => (
					<li key={c.id}>
						<a href={`/chat/${c.id}`} class={isUnread(c, me) ? "unread" : ""}>
							<span class="who">{nameOf(c)}</span>
							{c.lastMessageAt && <span class="muted when">{fmtDateTime(c.lastMessageAt)}</span>}
							{isUnread(c, me) && <UnreadCount conversation={c} me={me} />}
						</a>
					</li>
				))}
			</ul>
			{contacts.list.length > 0 && (
				<form
					class="card"
					onSubmit={e => {
						e.preventDefault();
						void open.run();
					}}
				>
					<h2>{t("chat.new")}</h2>
					<Select
						label={t("chat.to")}
						id="chat-to"
						value={to}
						onChange={e => setTo((e.target as HTMLSelectElement).value)}
						options={contacts.list.map(c => ({ value: c.id, label: `${c.firstName} ${c.lastName}${c.classes.length ? ` (${c.classes.join(", ")})` : ""}` }))}
					/>
					{open.error && <Alert>{open.error}</Alert>}
					<button type="submit" class="primary" disabled={open.busy}>
						{t("chat.open")}
					</button>
				</form>
			)}
		</Page>
	);
}

/** How many messages of the others came after what the user last read (the newest 50 are looked at). */
function UnreadCount({ conversation, me }: { conversation: Conversation; me: string }) {
	const t = useT();
	const lastRead = conversation.members.find(m => m.userId === me)?.lastReadMessageId ?? "";
	const messages = useAsync(
		() => api.get("/api/conversations/{id}/messages", { params: { id: conversation.id }, query: { limit: 50 } }) as Promise<{ rows: Message[] }>,
		[conversation.id, conversation.lastMessageId],
	);
	const count = (messages.data?.rows ?? []).filter(m => m.senderId !== me && m.id > lastRead).length;
	return <Badge count={count || 1} label={t("chat.unreadCount", { count: count || 1 })} />;
}

export function ConversationView({ id }: { id: string }) {
	const t = useT();
	const me = session.get()!.user.id;
	const contacts = useContacts();
	const [conversation, setConversation] = useState<Conversation>();
	const [messages, setMessages] = useState<Message[]>([]);
	const [error, setError] = useState<string>();
	const [typing, setTyping] = useState(false);
	const [text, setText] = useState("");
	const [sending, setSending] = useState(false);
	const room = useRef<Room | undefined>(undefined);
	const list = useRef<HTMLOListElement>(null);
	const typingTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

	const add = (incoming: Message[]) =>
		setMessages(current => {
			const byId = new Map(current.map(m => [m.id, m]));
			for (const m of incoming) byId.set(m.id, m);
			return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
		});

	useEffect(() => {
		let closed = false;
		(async () => {
			try {
				const [c, page] = await Promise.all([
					api.get("/api/conversations/{id}", { params: { id } }) as Promise<Conversation>,
					api.get("/api/conversations/{id}/messages", { params: { id }, query: { limit: 50 } }) as Promise<{ rows: Message[] }>,
				]);
				if (closed) return;
				setConversation(c);
				add(page.rows);
				const client = await realtimeClient();
				const joined = await client.joinOrCreate("chat", { conversationId: id });
				if (closed) return void joined.leave(true);
				room.current = joined;
				joined.onMessage("message", (m: Message) => {
					add([m]);
					if (m.senderId !== me) setTyping(false);
				});
				joined.onMessage("sent", () => undefined);
				joined.onMessage("read", (r: { userId: string; lastReadMessageId: string; lastReadAt: string }) =>
					setConversation(cur => cur && { ...cur, members: cur.members.map(mm => (mm.userId === r.userId ? { ...mm, lastReadMessageId: r.lastReadMessageId, lastReadAt: r.lastReadAt } : mm)) }),
				);
				joined.onMessage("typing", (e: { userId: string; typing: boolean }) => {
					if (e.userId === me) return;
					setTyping(e.typing);
					clearTimeout(typingTimer.current);
					if (e.typing) typingTimer.current = setTimeout(() => setTyping(false), 4000);
				});
				joined.onMessage("error", (e: { message: string }) => setError(e.message));
			} catch (err) {
				if (!closed) setError(errorText(err));
			}
		})();
		return () => {
			closed = true;
			void room.current?.leave(true).catch(() => undefined);
			room.current = undefined;
		};
	}, [id]);

	// Seen: the newest message is marked read while the conversation is on screen.
	const newest = messages[messages.length - 1];
	useEffect(() => {
		if (!newest || document.visibilityState !== "visible") return;
		const mine = conversation?.members.find(m => m.userId === me);
		if (mine?.lastReadMessageId && mine.lastReadMessageId >= newest.id) return;
		api.post("/api/conversations/{id}/read", { params: { id }, body: { messageId: newest.id } }).then(
			(r: { lastReadMessageId: string }) => {
				setConversation(cur => cur && { ...cur, members: cur.members.map(m => (m.userId === me ? { ...m, lastReadMessageId: r.lastReadMessageId } : m)) });
				unreadConversations.update(s => {
					const next = new Set(s);
					next.delete(id);
					return next;
				});
				void refreshCounts().catch(() => undefined);
			},
			() => undefined,
		);
		list.current?.lastElementChild?.scrollIntoView({ block: "end" });
	}, [newest?.id]);

	const send = async (e: Event) => {
		e.preventDefault();
		const body = text.trim();
		if (!body) return;
		setSending(true);
		setError(undefined);
		const clientId = newClientId("msg");
		try {
			// Stored, then broadcast to the room: it comes back as a `message` like everyone else's.
			const res = (await api.post("/api/conversations/{id}/messages", { params: { id }, body: { clientId, text: body } })) as { message: Message };
			add([res.message]);
			setText("");
			room.current?.send("typing", { typing: false });
		} catch (err) {
			setError(errorText(err));
		} finally {
			setSending(false);
		}
	};

	const other = conversation && otherOf(conversation, me);
	const contact = other && contacts.byId.get(other.userId);
	const title = contact ? `${contact.firstName} ${contact.lastName}` : t("chat.conversation");
	const theirRead = other?.lastReadMessageId ?? "";
	const lastSeenMine = [...messages].reverse().find(m => m.senderId === me && m.id <= theirRead)?.id;
	if (!conversation && !error) return <Loading />;
	return (
		<Page title={title}>
			<p>
				<a href="/chat">{t("chat.back")}</a>
			</p>
			{error && <Alert>{error}</Alert>}
			<ol class="messages" ref={list} aria-live="polite" aria-label={t("chat.messages")}>
				{messages.map(m => (
					<li key={m.id} class={m.senderId === me ? "mine" : "theirs"}>
						<p class="text">{m.text}</p>
						<p class="meta">
							<time dateTime={m.createdAt}>{fmtTime(m.createdAt)}</time>
							{m.id === lastSeenMine && <span class="seen"> · {t("chat.seen")}</span>}
						</p>
					</li>
				))}
			</ol>
			<p class="typing" aria-live="polite">
				{typing ? t("chat.typing", { name: contact?.firstName ?? t("chat.someone") }) : ""}
			</p>
			<form class="composer" onSubmit={e => void send(e)}>
				<label for="chat-text" class="sr-only">
					{t("chat.write")}
				</label>
				<textarea
					id="chat-text"
					rows={2}
					maxLength={4000}
					placeholder={t("chat.write")}
					value={text}
					onInput={e => {
						setText((e.target as HTMLTextAreaElement).value);
						room.current?.send("typing", { typing: true });
					}}
					onKeyDown={e => {
						if (e.key === "Enter" && !e.shiftKey) {
							e.preventDefault();
							(e.currentTarget.form as HTMLFormElement).requestSubmit();
						}
					}}
				/>
				<button type="submit" class="primary" disabled={sending || !text.trim()}>
					{t("chat.send")}
				</button>
			</form>
		</Page>
	);
}

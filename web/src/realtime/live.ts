/**
 * One seat in a live group session, kept through network drops. The SDK reconnects by itself with the
 * room's reconnection token (the server keeps the seat LIVE_RECONNECT_SECONDS); if that gives up, or the
 * page was reloaded, the token saved in sessionStorage gets the same seat back (`client.reconnect`), and
 * failing that the client joins again (the room keeps a student's score by user, so nothing is lost).
 */
import type { Room } from "@colyseus/sdk";
import { api, ApiError } from "../api/http.ts";
import { store } from "../store.ts";
import { realtimeClient } from "./endpoint.ts";

export type LinkStatus = "connecting" | "live" | "reconnecting" | "lost" | "closed";

const SAVE_KEY = "lp.live.seat";
interface SavedSeat {
	roomId: string;
	token: string;
}

function saved(roomId: string): SavedSeat | undefined {
	try {
		const seat = JSON.parse(sessionStorage.getItem(SAVE_KEY) ?? "null") as SavedSeat | null;
		return seat?.roomId === roomId ? seat : undefined;
	} catch {
		return undefined;
	}
}

export interface Admission {
	id: string;
	roomId: string;
	role: "teacher" | "student";
	status: string;
}

/** Asks the platform whether this user may enter the session (clear 404 / 403 / 409 answers). */
export function admit(code: string): Promise<Admission> {
	return api.post("/api/live-sessions/join", { body: { code } });
}

type Handler = (payload: any) => void;

export class LiveLink {
	readonly status = store<LinkStatus>("connecting");
	readonly state = store<any>(null);
	readonly error = store<string | null>(null);
	private room: Room | undefined;
	private readonly handlers = new Map<string, Set<Handler>>();
	private closing = false;
	private ended = false;
	private recovering = false;
	private readonly onOnline = () => {
		if (this.status.get() === "lost") void this.recover();
	};

	constructor(
		readonly roomId: string,
		/** The join code, to ask the platform again whether the session is still open. */
		private readonly code?: string,
	) {
		window.addEventListener("online", this.onOnline);
	}

	on(type: string, handler: Handler): () => void {
		let set = this.handlers.get(type);
		if (!set) this.handlers.set(type, (set = new Set()));
		set.add(handler);
		return () => set!.delete(handler);
	}

	async connect(): Promise<void> {
		this.status.set("connecting");
		const seat = saved(this.roomId);
		const client = await realtimeClient();
		let room: Room | undefined;
		if (seat) room = await client.reconnect(`${seat.roomId}:${seat.token}`).catch(() => undefined);
		room ??= await client.joinById(this.roomId);
		this.attach(room);
	}

	send(type: string, payload: unknown = {}): void {
		// While the socket is down the SDK queues the message and sends it on reconnection.
		this.room?.send(type, payload);
	}

	markEnded(): void {
		this.ended = true;
		sessionStorage.removeItem(SAVE_KEY);
	}

	async leave(): Promise<void> {
		this.closing = true;
		window.removeEventListener("online", this.onOnline);
		const room = this.room;
		this.room = undefined;
		if (!this.ended) sessionStorage.removeItem(SAVE_KEY);
		await room?.leave(true).catch(() => undefined);
		this.status.set("closed");
	}

	private attach(room: Room): void {
		this.room = room;
		// Back quickly once the network is: a question lasts seconds, the seat is kept for 30.
		room.reconnection.maxDelay = 2000;
		room.reconnection.minUptime = 0;
		room.reconnection.maxRetries = 20;
		this.remember(room);
		room.onStateChange((state: any) => this.state.set(typeof state?.toJSON === "function" ? state.toJSON() : state));
		room.onMessage("*", (type: string | number, payload: unknown) => {
			for (const h of this.handlers.get(String(type)) ?? []) h(payload);
		});
		room.onDrop(() => this.status.set("reconnecting"));
		room.onReconnect(() => {
			this.status.set("live");
			this.remember(room);
		});
		room.onLeave(() => {
			if (this.room !== room) return;
			if (this.closing || this.ended) return this.status.set("closed");
			this.room = undefined;
			void this.recover();
		});
		this.error.set(null);
		this.status.set("live");
	}

	private remember(room: Room): void {
		const token = room.reconnectionToken?.split(":")[1];
		if (token) sessionStorage.setItem(SAVE_KEY, JSON.stringify({ roomId: this.roomId, token } satisfies SavedSeat));
	}

	/** The SDK gave up (or the socket closed for good): the saved seat, then a new join, with backoff. */
	private async recover(): Promise<void> {
		if (this.recovering || this.closing) return;
		this.recovering = true;
		this.status.set("reconnecting");
		try {
			for (let attempt = 0; attempt < 12 && !this.closing; attempt++) {
				if (this.code) {
					try {
						await admit(this.code);
					} catch (err) {
						if (err instanceof ApiError && err.type === "SESSION_CLOSED") {
							this.markEnded();
							this.status.set("closed");
							return;
						}
					}
				}
				try {
					await this.connect();
					return;
				} catch {
					await new Promise(r => setTimeout(r, Math.min(5000, 500 * 2 ** attempt)));
				}
			}
			this.status.set("lost");
		} finally {
			this.recovering = false;
		}
	}
}

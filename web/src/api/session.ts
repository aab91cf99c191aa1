/**
 * The signed-in session: tokens in localStorage (shared by the tabs of one browser), refreshed in the
 * background a minute before the access token expires, and after any 401.
 *
 * The platform rotates refresh tokens and treats a second use of a spent one as theft (the whole family
 * is revoked), so two refreshes must never race: in a tab they share one promise, across tabs they take
 * a Web Lock, and a tab that gets the lock after another tab rotated adopts that tab's tokens instead.
 */
import { store } from "../store.ts";
import { api, ApiError, useAuthHooks } from "./http.ts";
import type { TokenPair, User } from "./models.ts";

const KEY = "lp.session";
/** Refresh this long before the access token expires. */
const EARLY_MS = 60_000;

export interface Session {
	accessToken: string;
	refreshToken: string;
	/** Epoch ms at which the access token expires. */
	expiresAt: number;
	user: User;
}

function readStored(): Session | null {
	try {
		const s = JSON.parse(localStorage.getItem(KEY) ?? "null");
		return s && typeof s.accessToken === "string" && typeof s.refreshToken === "string" ? s : null;
	} catch {
		return null;
	}
}

export const session = store<Session | null>(readStored());

function save(pair: TokenPair): Session {
	const s: Session = { accessToken: pair.accessToken, refreshToken: pair.refreshToken, expiresAt: Date.now() + pair.expiresIn * 1000, user: pair.user };
	localStorage.setItem(KEY, JSON.stringify(s));
	session.set(s);
	schedule();
	return s;
}

function clear(): void {
	localStorage.removeItem(KEY);
	session.set(null);
	schedule();
}

let timer: ReturnType<typeof setTimeout> | undefined;
function schedule(): void {
	clearTimeout(timer);
	const s = session.get();
	if (!s) return;
	const wait = Math.max(1000, s.expiresAt - EARLY_MS - Date.now());
	timer = setTimeout(() => void refresh(), wait);
}

let inflight: Promise<boolean> | undefined;

/** Rotates the tokens (one refresh at a time across tabs); false when the session is over or unreachable. */
export function refresh(): Promise<boolean> {
	const before = session.get();
	inflight ??= (async () => {
		const run = async (): Promise<boolean> => {
			const stored = readStored();
			if (!stored) {
				if (session.get()) clear();
				return false;
			}
			// Another tab rotated while this one waited for the lock: take its fresh tokens.
			if (before && stored.refreshToken !== before.refreshToken && stored.expiresAt - Date.now() > EARLY_MS) {
				session.set(stored);
				schedule();
				return true;
			}
			try {
				const pair: TokenPair = await api.post("/api/auth/refresh", { body: { refreshToken: stored.refreshToken }, anonymous: true });
				save(pair);
				return true;
			} catch (err) {
				// Refused (revoked, expired, reused): the session is over. Unreachable: keep it and try later.
				if (err instanceof ApiError && err.status >= 400 && err.status < 500) clear();
				else {
					clearTimeout(timer);
					timer = setTimeout(() => void refresh(), 15_000);
				}
				return false;
			}
		};
		const locks = (navigator as Navigator & { locks?: LockManager }).locks;
		return locks ? locks.request("lp.session.refresh", run) : run();
	})().finally(() => (inflight = undefined));
	return inflight;
}

export type Credentials = { email: string; password: string } | { schoolCode: string; username: string; password: string };

export async function signIn(credentials: Credentials): Promise<Session> {
	const pair: TokenPair = await api.post("/api/auth/login", { body: credentials, anonymous: true });
	return save(pair);
}

/** Revokes the session's refresh tokens on the platform (their whole family), then forgets them here. */
export async function signOut(): Promise<void> {
	const s = session.get();
	if (s) await api.post("/api/auth/logout", { body: { refreshToken: s.refreshToken } }).catch(() => undefined);
	clear();
}

export function currentUser(): User | undefined {
	return session.get()?.user;
}

export function hasRole(user: User | undefined, ...roles: string[]): boolean {
	return !!user && user.roles.some(r => roles.includes(r));
}

/** The access token, if the session has one (refreshes happen in the background). */
export function accessToken(): string | undefined {
	return session.get()?.accessToken;
}

useAuthHooks({ token: accessToken, refresh, expired: clear });

// Another tab signed in, refreshed or signed out.
window.addEventListener("storage", event => {
	if (event.key !== KEY) return;
	session.set(readStored());
	schedule();
});
// Timers sleep with the device: on waking, refresh if the token is (nearly) stale.
document.addEventListener("visibilitychange", () => {
	const s = session.get();
	if (document.visibilityState === "visible" && s && s.expiresAt - Date.now() < EARLY_MS) void refresh();
});
schedule();

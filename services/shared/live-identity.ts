/**
 * Live identity: what an access token says (account, roles, school, session version `sv`) is checked
 * against the account and its school AS THEY ARE NOW, on every REST call and every room join, so that a
 * suspension, a role change, a logout, a password change or reset, or a suspended school takes effect
 * at once instead of when the token expires.
 *
 * Every edge node (gateway, realtime) keeps a small cache per broker: account id → {status, roles,
 * school, sv} and school id → {status}. A change invalidates it cluster-wide: the users and schools
 * services broadcast `users.identity.changed` ({userId} or {schoolId}), which every node's edge services
 * hear (over NATS when scaled out) within milliseconds; the realtime service also re-checks the open
 * sockets it names. A short TTL (IDENTITY_CACHE_SECONDS) is the safety net for a lost event.
 *
 * A lookup failing (users service unreachable) is an error, never an admission.
 */
import type { ServiceBroker } from "moleculer";
import { settings } from "../../config/env.js";
import { ERR, forbidden, unauthorized, type ClientError } from "./errors.js";
import { systemMeta, type AuthUser } from "./identity.js";
import { isId } from "./params.js";

/** The broadcast that invalidates every node's cache entry of one account or one school. */
export const IDENTITY_CHANGED = "users.identity.changed";

export interface IdentityChange {
	userId?: string;
	schoolId?: string;
	/** Why (suspended, reactivated, roles, logout, password, school_suspended…): for logs and tests. */
	reason?: string;
}

/** An account as `users.identity` answers. */
export interface AccountState {
	id: string;
	schoolId: string | null;
	roles: string[];
	status: string;
	sv: number;
}

export interface SchoolState {
	status: string;
}

/** Why a token no longer stands. */
export type Refusal = "gone" | "suspended" | "school_suspended" | "roles_changed" | "session_ended";

export type Verdict = { ok: true; user: AuthUser } | { ok: false; reason: Refusal };

export interface IdentityLoader {
	account(id: string): Promise<AccountState | null>;
	school(id: string): Promise<SchoolState | null>;
}

interface Entry<T> {
	value: T;
	expiresAt: number;
}

/** A TTL cache whose in-flight loads are shared and dropped by an invalidation (so no stale load is stored after it). */
class Shelf<T> {
	private readonly entries = new Map<string, Entry<T>>();
	private readonly pending = new Map<string, Promise<T>>();

	constructor(private readonly maxEntries: number) {}

	async get(key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
		const now = Date.now();
		const hit = this.entries.get(key);
		if (hit && hit.expiresAt > now) return hit.value;
		let loading = this.pending.get(key);
		if (!loading) {
			const started: Promise<T> = load().then(
				value => {
					// Only the load still current may fill the shelf: one an invalidation dropped meanwhile read the old state.
					if (this.pending.get(key) === started) {
						this.pending.delete(key);
						if (ttlMs > 0) this.store(key, { value, expiresAt: Date.now() + ttlMs });
					}
					return value;
				},
				err => {
					if (this.pending.get(key) === started) this.pending.delete(key);
					throw err;
				},
			);
			loading = started;
			this.pending.set(key, loading);
		}
		return loading;
	}

	invalidate(key: string): void {
		this.entries.delete(key);
		this.pending.delete(key);
	}

	clear(): void {
		this.entries.clear();
		this.pending.clear();
	}

	get size(): number {
		return this.entries.size;
	}

	private store(key: string, entry: Entry<T>): void {
		this.entries.delete(key);
		// Map keeps insertion order: the oldest entry goes first when full.
		if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
		this.entries.set(key, entry);
	}
}

export class IdentityCache {
	private readonly accounts: Shelf<AccountState | null>;
	private readonly schools: Shelf<SchoolState | null>;
	/** How many loads reached the services (tests and diagnostics). */
	loads = 0;

	constructor(
		private readonly loader: IdentityLoader,
		private readonly ttlMs: () => number = () => settings().identityCacheSeconds * 1000,
		maxEntries = 50_000,
	) {
		this.accounts = new Shelf(maxEntries);
		this.schools = new Shelf(maxEntries);
	}

	account(id: string): Promise<AccountState | null> {
		return this.accounts.get(id, this.ttlMs(), () => {
			this.loads++;
			return this.loader.account(id);
		});
	}

	school(id: string): Promise<SchoolState | null> {
		return this.schools.get(id, this.ttlMs(), () => {
			this.loads++;
			return this.loader.school(id);
		});
	}

	invalidate(change: IdentityChange): void {
		if (change.userId) this.accounts.invalidate(change.userId);
		if (change.schoolId) this.schools.invalidate(change.schoolId);
	}

	clear(): void {
		this.accounts.clear();
		this.schools.clear();
	}

	/** Whether the token's user still stands, and as whom (the current roles). */
	async evaluate(user: AuthUser): Promise<Verdict> {
		if (!isId(user.id)) return { ok: false, reason: "gone" };
		const account = await this.account(user.id);
		if (!account || account.schoolId !== (user.schoolId ?? null)) return { ok: false, reason: "gone" };
		if (account.status !== "active") return { ok: false, reason: "suspended" };
		if (account.schoolId) {
			const school = await this.school(account.schoolId);
			if (!school || school.status !== "active") return { ok: false, reason: "school_suspended" };
		}
		if ((user.sv ?? 0) !== account.sv) return { ok: false, reason: sameRoles(user.roles, account.roles) ? "session_ended" : "roles_changed" };
		return { ok: true, user: { id: user.id, schoolId: account.schoolId, roles: [...account.roles] as AuthUser["roles"], sv: account.sv } };
	}

	/** The current user behind a verified token, or the ClientError a REST call answers. */
	async check(user: AuthUser): Promise<AuthUser> {
		const verdict = await this.evaluate(user);
		if (verdict.ok) return verdict.user;
		throw refusalError(verdict.reason);
	}
}

function sameRoles(a: readonly string[], b: readonly string[]): boolean {
	const [x, y] = [[...a].sort(), [...b].sort()];
	return x.length === y.length && x.every((r, i) => r === y[i]);
}

/** The REST answer to a refusal: 403 for a suspension (signing in again will not help), 401 otherwise (refresh). */
export function refusalError(reason: Refusal): ClientError {
	switch (reason) {
		case "suspended":
			return forbidden("This account is not active", ERR.ACCOUNT_SUSPENDED);
		case "school_suspended":
			return forbidden("This school's space is suspended", ERR.SCHOOL_SUSPENDED);
		case "roles_changed":
			return unauthorized("Your roles changed: refresh your session", ERR.SESSION_ENDED);
		case "session_ended":
			return unauthorized("This session has ended: refresh it or sign in again", ERR.SESSION_ENDED);
		default:
			return unauthorized("This account no longer exists", ERR.INVALID_TOKEN);
	}
}

/** Loads through the owning services, as the system principal. */
export function brokerLoader(broker: ServiceBroker): IdentityLoader {
	const notFoundAsNull = (err: { code?: number; type?: string }) => {
		if (err?.code === 404 || err?.type === ERR.NOT_FOUND) return null;
		throw err;
	};
	return {
		account: id => broker.call<AccountState, { userId: string }>("users.identity", { userId: id }, { meta: systemMeta() }).catch(notFoundAsNull),
		school: id =>
			broker
				.call<{ status: string }, { id: string }>("schools.resolve", { id }, { meta: systemMeta() })
				.then(s => ({ status: s.status }))
				.catch(notFoundAsNull),
	};
}

const caches = new WeakMap<ServiceBroker, IdentityCache>();

/** The cache of this broker's edge services (one per node, shared by the gateway and the realtime service). */
export function identityCacheOf(broker: ServiceBroker): IdentityCache {
	let cache = caches.get(broker);
	if (!cache) caches.set(broker, (cache = new IdentityCache(brokerLoader(broker))));
	return cache;
}

/** Mixed into the edge services: each node drops what a change names from its cache. */
export const LiveIdentityMixin = {
	events: {
		[IDENTITY_CHANGED](this: { broker: ServiceBroker }, ctx: { params: IdentityChange }) {
			identityCacheOf(this.broker).invalidate(ctx.params ?? {});
		},
	},
};

/** Tells every node that an account (or a school) changed in a way its tokens must feel at once. */
export async function announceIdentityChange(ctx: { broadcast(event: string, payload: unknown): unknown }, change: IdentityChange): Promise<void> {
	await ctx.broadcast(IDENTITY_CHANGED, change);
}

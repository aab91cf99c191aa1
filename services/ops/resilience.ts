/**
 * How calls between nodes survive a node that dies or stalls (issue 16, README "Operations / Faults").
 *
 * - A node killed mid-request sends nothing: the others notice its missing heartbeats (heartbeatTimeout)
 *   and reject its pending requests with RequestRejectedError, or the caller's requestTimeout fires first.
 * - Those two errors leave the outcome unknown (the dead node may have written before dying), so only
 *   actions that are safe to run twice are re-sent to another node (the retry policy is switched on per
 *   action by `markIdempotentActions`): reads (REST GET and the internal reads listed below) and writes
 *   keyed by a client id or a natural id (answers, chat messages, reviews, a session's end). Any other
 *   write answers 503 SERVICE_UNAVAILABLE and is never sent twice by the platform.
 * - A call that cannot reach any node (ServiceNotAvailable) fails at once: nothing was sent.
 * - The circuit breaker takes a node's endpoint out of the rotation for a while after its calls time out
 *   or are rejected, so retries and new calls go to the healthy nodes instead of waiting on a stalled one.
 */
import { Errors, type BrokerOptions, type Middleware } from "moleculer";

/** Transport failures: the request went out and no answer came back. The business may or may not have happened. */
export function isTransportFailure(err: unknown): boolean {
	return err instanceof Errors.RequestTimeoutError || err instanceof Errors.RequestRejectedError;
}

/**
 * Internal (non-REST) actions that are safe to run twice: reads, and writes idempotent by a key the caller
 * sends (a review key, a client id, a live session's id). REST GETs are added automatically.
 */
export const IDEMPOTENT_ACTIONS: readonly string[] = [
	// reads
	"users.identity", "users.sessionUser", "users.resolveMany", "users.resolveLogins", "users.schoolAdmins", "users.emailAvailable",
	"schools.resolve", "classes.membership", "classes.roster", "classes.teachesStudent",
	"subscriptions.limits", "subscriptions.check", "subscriptions.forBilling",
	"content.resolveMany", "paths.resolve", "paths.forStudent", "paths.ofTeacher", "paths.ofStudent", "paths.ofClass", "paths.itemInUse",
	"scheduling.resolve", "scheduling.resolveMany", "memory.states", "memory.statesMany", "memory.newIntroducedOn", "memory.history", "memory.reviewDays",
	"progress.stepStatus", "evaluations.inProgress", "liveSessions.load", "liveSessions.admit", "liveSessions.resumeState",
	"conversations.access", "preferences.resolve", "preferences.forUsers", "availability.check", "availability.windows",
	"visio.busy", "visio.agenda", "visio.upcomingFor", "realtime.presentUsers", "realtime.connectedUsers", "realtime.groupRoomAlive",
	"aiAgents.forPath", "aiSources.retrieve", "aiSources.chunksOf", "aiTutor.checkQuota", "billingAccounts.contacts", "billingAccounts.forSchools",
	"invoices.resolve", "invoices.document", "payments.forInvoice", "billingUsage.totals",
	// writes keyed by the caller: a retry finds the first write
	"memory.recordReview", "memory.recordReviews", "liveSessions.recordAnswers", "liveSessions.finish", "liveSessions.checkpoint",
	"revisions.answer", "revisions.recordGroupSession", "revisions.recordGroupSessions", "progress.recordSession", "progress.recordSessions",
	"conversations.send", "conversations.markRead", "notifications.markRead", "notifications.markAllRead",
	// data rights: the account's erasure and a part's confirmation find their first run
	"users.eraseAccount", "dataRights.erasurePartDone", "dataRights.erasureSubject",
];

const IDEMPOTENT = new Set(IDEMPOTENT_ACTIONS);

function isGetRoute(rest: unknown): boolean {
	const routes = Array.isArray(rest) ? rest : [rest];
	return routes.some(r => typeof r === "string" && /^GET\s/i.test(r.trim()));
}

/** Switches the retry policy on for the actions safe to run twice (the flag travels with the action to every caller node). */
export const markIdempotentActions: Middleware = {
	name: "IdempotentActions",
	serviceCreating(_service: unknown, schema: { name?: string; actions?: Record<string, any> }) {
		for (const [name, def] of Object.entries(schema.actions ?? {})) {
			if (!def) continue;
			const action = typeof def === "function" ? (schema.actions![name] = { handler: def }) : def;
			const full = `${schema.name}.${action.name ?? name}`;
			const safe = IDEMPOTENT.has(full) || isGetRoute(action.rest) || full.endsWith(".exportPersonalData");
			if (action.retryPolicy === undefined && safe) action.retryPolicy = { enabled: true };
		}
	},
} as unknown as Middleware;

/** The broker options that decide how a call survives a node's death; each value is explained beside it. */
export function resilienceOptions(requestTimeoutMs: number): Pick<BrokerOptions, "requestTimeout" | "retryPolicy" | "circuitBreaker" | "heartbeatInterval" | "heartbeatTimeout"> {
	return {
		// REQUEST_TIMEOUT_MS (10 s): the longest a caller waits for one attempt; actions that legitimately run
		// longer (imports, a live session's end) declare their own `timeout`. A dead node's calls end here at
		// the latest, even before its heartbeats are missed.
		requestTimeout: requestTimeoutMs,
		retryPolicy: {
			// Off by default: switched on per action by markIdempotentActions, never for a write that a
			// second run would repeat.
			enabled: false,
			// Two more attempts: with two or more nodes per service one of them is healthy; a third failure
			// means the service is down, and the client gets its 503 after at most 3 × requestTimeout.
			retries: 2,
			// 100 ms, then 200 ms (factor 2, capped at 1 s): long enough for the registry to drop a node whose
			// disconnection is being processed, short against the request's own budget.
			delay: 100,
			maxDelay: 1000,
			factor: 2,
			// Only transport failures are retried: a 4xx or a business 5xx would fail again the same way.
			check: (err: Error) => isTransportFailure(err),
		},
		circuitBreaker: {
			enabled: true,
			// A node's endpoint of an action opens once half of its last calls failed in transport...
			threshold: 0.5,
			// ...out of at least 5 (a single timeout under load is not a dead node)...
			minRequestCount: 5,
			// ...counted over 30 s windows...
			windowTime: 30,
			// ...and is tried again (one request) after 5 s: a node that came back gets traffic quickly.
			halfOpenTime: 5_000,
			// Timeouts and rejections only: a business error (404, 409) or a database outage, which every
			// node shares, says nothing about this node and must not take it out.
			check: (err: Error) => isTransportFailure(err),
		},
		// Heartbeats every 2 s; a node silent for 6 s is declared gone and its pending calls rejected
		// (then retried elsewhere when safe). Detection takes 6-12 s (the check runs every heartbeatTimeout),
		// within the 10 s request budget plus one retry; a shorter timeout would drop nodes whose event loop
		// is merely busy for a few seconds (a large import, a model load).
		heartbeatInterval: 2,
		heartbeatTimeout: 6,
	};
}

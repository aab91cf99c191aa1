/**
 * The request a piece of code runs for, kept in an AsyncLocalStorage so every log line written while an
 * action, an event or a durable message is handled carries its request id, on whichever node it runs.
 *
 * The id is moleculer's `ctx.requestID`: the gateway takes it from a well-formed incoming `X-Request-Id`
 * (or makes one) and returns it in the response; moleculer passes it with every call and event to other
 * nodes, and publishDurable (services/shared/durable.ts) puts it in a durable message's headers, so a
 * consumer's lines carry the id of the request that caused them.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Context, Middleware } from "moleculer";

export interface RequestScope {
	requestId: string;
	/** What runs: an action name, `event:<name>` or `channel:<name>`. */
	handler: string;
	/** The caller's user id, when a user is behind the request. */
	userId?: string;
}

const storage = new AsyncLocalStorage<RequestScope>();

export function currentRequest(): RequestScope | undefined {
	return storage.getStore();
}

/** A request id as clients may send it: 1-128 safe characters (no spaces, quotes or control characters). */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

function scopeOf(ctx: Context<any, any>, handler: string): RequestScope {
	const user = ctx?.meta?.user as { id?: string } | undefined;
	return { requestId: String(ctx?.requestID ?? ""), handler, ...(user?.id ? { userId: user.id } : {}) };
}

/**
 * Runs every local handler inside its request's scope, and logs the actions that fail with a server
 * error or take longer than `slowMs` (0: never) with their request id, so an operator can follow one
 * request from the gateway's access line to the node where it failed.
 */
export function requestContextMiddleware(slowMs: number): Middleware {
	return {
		name: "RequestContext",
		localAction(next: (ctx: Context) => Promise<unknown>, action: { name: string }) {
			return function requestScoped(this: any, ctx: Context<any, any>) {
				return storage.run(scopeOf(ctx, action.name), () => {
					const started = Date.now();
					const logger = ctx.service?.logger ?? ctx.broker.logger;
					return next(ctx).then(
						result => {
							const ms = Date.now() - started;
							if (slowMs > 0 && ms >= slowMs && !action.name.startsWith("$")) logger.warn(`Slow action ${action.name}: ${ms} ms`, { action: action.name, durationMs: ms, caller: ctx.caller ?? null });
							else logger.debug?.(`${action.name} answered in ${ms} ms`, { action: action.name, durationMs: ms, caller: ctx.caller ?? null });
							return result;
						},
						(err: any) => {
							const code = typeof err?.code === "number" ? err.code : 500;
							if (code >= 500) logger.warn(`Action ${action.name} failed (${code} ${err?.type ?? err?.name ?? "Error"}): ${err?.message ?? err}`, { action: action.name, durationMs: Date.now() - started, caller: ctx.caller ?? null });
							throw err;
						},
					);
				});
			};
		},
		localEvent(next: (ctx: Context) => Promise<unknown>, event: { name: string }) {
			return function requestScopedEvent(this: any, ctx: Context<any, any>) {
				return storage.run(scopeOf(ctx, `event:${event.name}`), () => next(ctx));
			};
		},
		// @moleculer/channels wraps each consumer with the "localChannel" hook; with `context: true` the
		// first argument is a Context built from the message headers (its requestID included).
		localChannel(next: (...args: any[]) => Promise<unknown>, chan: { name: string }) {
			return function requestScopedChannel(this: any, ctx: any, raw: unknown) {
				const scope = ctx && typeof ctx === "object" && "requestID" in ctx ? scopeOf(ctx, `channel:${chan.name}`) : { requestId: "", handler: `channel:${chan.name}` };
				return storage.run(scope, () => next(ctx, raw));
			};
		},
	} as unknown as Middleware;
}

/**
 * Realtime nodes after a Redis restart (issue 16, README "Operations / Faults"). Rooms keep running in
 * their process while Redis is away (their clients' sockets, state and messages do not go through it);
 * matchmaking does, so new joins fail meanwhile. A Redis that comes back empty (restarted without
 * persistence) no longer lists this process's rooms nor the process itself: once the connection is ready
 * again this puts both back, so joins by room id or join code find the running rooms at once. (The
 * presence client re-subscribes its channels by itself.)
 */
import { matchMaker } from "@colyseus/core";
import type { Redis } from "ioredis";

export function restoreListingsOnReconnect(redis: Redis, logger: { info: (...a: unknown[]) => void; warn: (...a: unknown[]) => void }): void {
	let lost = false;
	let warnedAt = 0;
	redis.on("close", () => (lost = true));
	// One line every 30 s while Redis is away, not one per reconnection attempt.
	redis.on("error", err => {
		if (Date.now() - warnedAt < 30_000) return;
		warnedAt = Date.now();
		logger.warn(`Redis (matchmaking) unavailable, new joins wait for it; rooms keep running: ${err.message}`);
	});
	redis.on("ready", () => {
		if (!lost) return;
		lost = false;
		void (async () => {
			try {
				await matchMaker.stats.persist(true);
				await matchMaker.restoreMissingRoomCaches();
				logger.info("Redis is back: this process and its rooms are listed again for matchmaking");
			} catch (err) {
				logger.warn("Redis is back but listing this process's rooms again failed", err);
			}
		})();
	});
}

/**
 * A user's own live channel, one per user (joined with `{ userId }` = the token's user, from any number of
 * tabs): in-app notifications arrive here as they are created, wherever the user is connected, because
 * the realtime service relays `communication.notification.created` to this process's room of that user.
 * While someone holds this channel open they count as connected (shared presence `user:here:<id>`): Web
 * Push goes only to users who are not (services/communication/delivery.service.ts).
 */
import { matchMaker } from "@colyseus/core";
import { authenticate, checkJoin, PlatformRoom, type RoomClient } from "./platform.room.js";
import { forbidden } from "../services/shared/errors.js";
import type { AuthUser } from "../services/shared/identity.js";

const PRESENCE_TTL_SECONDS = 60;
const PRESENCE_REFRESH_MS = 20_000;

export const userPresenceKey = (userId: string) => `user:here:${userId}`;

export class UserRoom extends PlatformRoom {
	maxClients = 10;
	/** The user's own channel, open in every tab: nobody else's seat to take. */
	protected seatsPerUser = 10;
	userId = "";

	static async onAuth(token: string, options: any): Promise<AuthUser> {
		return checkJoin("user", async () => {
			const user = await authenticate(token);
			// The room is keyed by this option (filterBy), so it must name the token's own user.
			if (options?.userId !== user.id) throw forbidden("You may only join your own channel");
			return user;
		});
	}

	onCreate(options: { userId: string }) {
		this.userId = options.userId;
		// Nothing is synced as state: every notification is a one-off message.
		this.patchRate = null;
		// Notifications, and other one-off pushes of the user's own (an AI source's ingestion progress).
		this.relay("user", this.userId, event => (event.kind === "notification" ? this.broadcast("notification", event.notification) : this.broadcast(event.kind, event.payload)));
		this.clock.setInterval(() => this.markPresent(), PRESENCE_REFRESH_MS);
	}

	protected async admit(client: RoomClient) {
		// joinById reaches a room without the option check of onAuth.
		if (client.auth.id !== this.userId) throw forbidden("You may only join your own channel");
	}

	protected async joined() {
		await this.markPresent();
	}

	protected async left() {
		if (this.clients.length === 0) await matchMaker.presence.del(userPresenceKey(this.userId));
	}

	protected async disposed() {
		await matchMaker.presence.del(userPresenceKey(this.userId));
	}

	private async markPresent() {
		if (this.clients.length === 0) return;
		// The local presence answers synchronously, the Redis one with a promise.
		await Promise.resolve(matchMaker.presence.setex(userPresenceKey(this.userId), this.roomId, PRESENCE_TTL_SECONDS)).catch(() => undefined);
	}
}

/**
 * A user's own live channel, one per user (joined with `{ userId }` = the token's user, from any number of
 * tabs): in-app notifications arrive here as they are created, wherever the user is connected, because
 * the realtime service relays `communication.notification.created` to this process's room of that user.
 */
import { authenticate, checkJoin, PlatformRoom, type RoomClient } from "./platform.room.js";
import { forbidden } from "../services/shared/errors.js";
import type { AuthUser } from "../services/shared/identity.js";

export class UserRoom extends PlatformRoom {
	maxClients = 10;
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
		this.relay("user", this.userId, event => this.broadcast("notification", event.notification));
	}

	protected async admit(client: RoomClient) {
		// joinById reaches a room without the option check of onAuth.
		if (client.auth.id !== this.userId) throw forbidden("You may only join your own channel");
	}
}

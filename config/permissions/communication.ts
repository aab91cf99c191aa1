import { ANYONE, ANY_USER, INTERNAL, type PermissionTable } from "./types.js";

/** Block 4: in-app notifications and outgoing mail. */
export const communicationPermissions: PermissionTable = {
	"notifications.list": ANY_USER,
	"notifications.unreadCount": ANY_USER,
	"notifications.markRead": ANY_USER,
	"notifications.markAllRead": ANY_USER,
	"notifications.create": INTERNAL,

	"mailer.send": INTERNAL,
	// Only answers when mail is kept in memory (development and tests); 404 otherwise.
	"mailer.outbox": ANYONE,
};

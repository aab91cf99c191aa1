import { ANYONE, ANY_USER, INTERNAL, type PermissionTable } from "./types.js";

/** Block 4: chat, in-app notifications and outgoing mail; the live rooms' internal actions. */
export const communicationPermissions: PermissionTable = {
	"notifications.list": ANY_USER,
	"notifications.unreadCount": ANY_USER,
	"notifications.markRead": ANY_USER,
	"notifications.markAllRead": ANY_USER,
	"notifications.create": INTERNAL,

	"conversations.open": ANY_USER,
	"conversations.list": ANY_USER,
	"conversations.get": ANY_USER,
	"conversations.access": ANY_USER,
	"conversations.messages": ANY_USER,
	"conversations.send": ANY_USER,
	"conversations.markRead": ANY_USER,
	"conversations.report": ANY_USER,
	"conversations.reports": ["school_admin"],

	// Live rooms: asked by the conversations service who is in a conversation's room.
	"realtime.presentUsers": INTERNAL,

	"mailer.send": INTERNAL,
	// Platform admins only, and only answers when DEV_MAIL_OUTBOX is on (never in production); 404 otherwise.
	"mailer.outbox": ["platform_admin"],
};

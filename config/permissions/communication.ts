import { ANYONE, ANY_USER, INTERNAL, SCHOOL_MEMBERS, type PermissionTable } from "./types.js";

/**
 * Block 4: chat, in-app notifications, outgoing mail, notification preferences, Web Push, rendez-vous,
 * visio, reminders and agenda; the live rooms' internal actions.
 */
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

	"realtime.connectedUsers": INTERNAL,

	"mailer.send": INTERNAL,
	// Platform admins only, and only answers when DEV_MAIL_OUTBOX is on (never in production); 404 otherwise.
	"mailer.outbox": ["platform_admin"],

	// Notification preferences and mail unsubscribe links (a signed token is the credential)
	"preferences.get": ANY_USER,
	"preferences.update": ANY_USER,
	"preferences.resolve": INTERNAL,
	"preferences.forUsers": INTERNAL,
	"preferences.claimDigest": INTERNAL,
	"preferences.unsubscribePage": ANYONE,
	"preferences.unsubscribe": ANYONE,
	"delivery.sendDigests": ["system"],

	// Web Push
	"push.publicKey": ANYONE,
	"push.subscribe": ANY_USER,
	"push.list": ANY_USER,
	"push.unsubscribe": ANY_USER,
	"push.send": INTERNAL,

	// Rendez-vous and visio (scenario 3 bis); resource rules (own teacher, participants only) in the services
	"availability.mine": ["teacher"],
	"availability.replace": ["teacher"],
	"availability.slots": SCHOOL_MEMBERS,
	"availability.check": INTERNAL,
	"availability.windows": INTERNAL,
	"rendezvous.create": ["student"],
	"rendezvous.list": SCHOOL_MEMBERS,
	"rendezvous.get": SCHOOL_MEMBERS,
	"rendezvous.accept": ["teacher", "student"],
	"rendezvous.decline": ["teacher", "student"],
	"rendezvous.propose": ["teacher", "student"],
	"rendezvous.cancel": ["teacher", "student"],
	"visio.create": ["teacher"],
	"visio.list": SCHOOL_MEMBERS,
	"visio.get": SCHOOL_MEMBERS,
	"visio.update": ["teacher"],
	"visio.cancel": ["teacher"],
	"visio.token": ["teacher", "student"],
	"visio.attendance": ["teacher", "school_admin"],
	"visio.schedule": INTERNAL,
	"visio.move": INTERNAL,
	"visio.cancelBooked": INTERNAL,
	"visio.busy": INTERNAL,
	"visio.agenda": INTERNAL,
	"visio.upcomingFor": INTERNAL,
	"visio.closeDue": ["system"],
	// LiveKit's webhook: anonymous, the signature (WebhookReceiver) is the credential.
	"visio.webhook": ANYONE,

	// Reminders and agenda
	"reminders.mine": ANY_USER,
	"reminders.scheduleFor": INTERNAL,
	"reminders.cancelFor": INTERNAL,
	"reminders.resyncUser": INTERNAL,
	"reminders.tick": ["system"],
	"agenda.get": SCHOOL_MEMBERS,
	"agenda.feedStatus": SCHOOL_MEMBERS,
	"agenda.createFeed": SCHOOL_MEMBERS,
	"agenda.revokeFeed": SCHOOL_MEMBERS,
	"agenda.feed": ANYONE,
};

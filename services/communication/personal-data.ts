/**
 * Block 4's part in data rights. A person's own messages, notifications, mail records, appointments and
 * settings go with them; other people's messages in conversations they shared stay (they belong to those
 * people), with every trace of the erased person in them removed: their reports on those messages, and
 * the previews of their own messages copied into other people's notifications and mail records.
 */
import { Attendance } from "../../models/attendance.model.js";
import { Availability } from "../../models/availability.model.js";
import { CalendarFeed } from "../../models/calendar-feed.model.js";
import { Conversation } from "../../models/conversation.model.js";
import { Delivery } from "../../models/delivery.model.js";
import { Message } from "../../models/message.model.js";
import { NotificationPreference } from "../../models/notification-preference.model.js";
import { Notification } from "../../models/notification.model.js";
import { PushSubscription } from "../../models/push-subscription.model.js";
import { Reminder } from "../../models/reminder.model.js";
import { RendezVous } from "../../models/rendezvous.model.js";
import { Visioconference } from "../../models/visioconference.model.js";
import { settings } from "../../config/env.js";
import { idForms, personalDataMixin, type ErasureSubject } from "../shared/personal-data.js";

/** Other people's copies of the erased person's words: the preview goes, the notice stays. */
const previewsOf = (s: ErasureSubject) => ({ "data.senderId": { $in: idForms(s.userId) } });

export const notificationsPersonalData = personalDataMixin("notifications", [
	{ section: "notifications", model: Notification, owner: ["userId"], onUserErasure: "delete", retention: { days: () => settings().ops.notificationRetentionDays, field: "createdAt" } },
	{ section: "notifications_of_others", model: Notification, owner: [], noExport: true, onUserErasure: { filter: previewsOf, update: () => ({ $set: { body: "" } }) } },
]);

export const deliveryPersonalData = personalDataMixin("delivery", [
	{ section: "deliveries", model: Delivery, owner: ["userId"], onUserErasure: "delete", retention: { days: () => settings().ops.deliveryRetentionDays, field: "createdAt" } },
	{ section: "deliveries_of_others", model: Delivery, owner: [], noExport: true, onUserErasure: { filter: previewsOf, update: () => ({ $set: { body: "" } }) } },
]);

export const conversationsPersonalData = personalDataMixin(
	"conversations",
	[
		// Membership is only an id: the conversation stays for the other members.
		{ section: "conversations", model: Conversation, owner: ["memberIds"], onUserErasure: "keep" },
		{ section: "messages_sent", model: Message, owner: ["senderId"], omit: ["reports"], onUserErasure: "delete" },
	],
	{
		// Reports the person filed on other people's messages (their reason is their own text).
		async eraseUser(_ctx, subject) {
			const { modifiedCount } = await Message.updateMany({ "reports.userId": { $in: idForms(subject.userId) } }, { $pull: { reports: { userId: { $in: idForms(subject.userId) } } } });
			return { reports_filed: modifiedCount ?? 0 };
		},
	},
);

export const preferencesPersonalData = personalDataMixin("preferences", [{ section: "notification_preferences", model: NotificationPreference, owner: ["userId"], onUserErasure: "delete" }]);

export const pushPersonalData = personalDataMixin("push", [{ section: "push_subscriptions", model: PushSubscription, owner: ["userId"], omit: ["keys"], onUserErasure: "delete" }]);

export const availabilityPersonalData = personalDataMixin("availability", [{ section: "availability", model: Availability, owner: ["teacherId"], onUserErasure: "delete" }]);

// An appointment is between the person and one teacher or student: it cannot happen without them.
export const rendezvousPersonalData = personalDataMixin("rendezvous", [{ section: "rendezvous", model: RendezVous, owner: ["studentId", "teacherId"], onUserErasure: "delete" }]);

export const visioPersonalData = personalDataMixin("visio", [
	{
		section: "visios",
		model: Visioconference,
		owner: ["hostId", "participantIds"],
		onUserErasure: { update: (s: ErasureSubject) => ({ $pull: { participantIds: { $in: idForms(s.userId) } } }) },
	},
	// Visios the person hosted keep their time (others attended) but not the words the host wrote.
	{ section: "visios_hosted", model: Visioconference, owner: [], noExport: true, onUserErasure: { filter: s => ({ hostId: { $in: idForms(s.userId) } }), update: () => ({ $set: { title: "Visioconference", description: null } }) } },
	{ section: "attendance", model: Attendance, owner: ["userId"], onUserErasure: "delete" },
]);

export const remindersPersonalData = personalDataMixin("reminders", [{ section: "reminders", model: Reminder, owner: ["userId"], onUserErasure: "delete" }]);

export const agendaPersonalData = personalDataMixin("agenda", [{ section: "calendar_feed", model: CalendarFeed, owner: ["userId"], omit: ["tokenHash"], onUserErasure: "delete" }]);

/**
 * A video call on LiveKit: a booked rendez-vous or a class visio scheduled by a teacher. `roomName` is
 * unguessable (never derived from ids) and names the LiveKit room; `version` grows when the call moves,
 * so reminders of the old time are recognisable. Owned by services/communication/visio.service.ts.
 */
import { defineModel, defineSchema, ObjectId, part } from "./define.js";

export const VISIO_STATUSES = ["scheduled", "cancelled", "ended"] as const;
export type VisioStatus = (typeof VISIO_STATUSES)[number];

export const VisioconferenceSchema = defineSchema({
	schoolId: { type: ObjectId, required: true },
	kind: { type: String, enum: ["rendezvous", "class"], required: true },
	title: { type: String, required: true, maxlength: 200 },
	description: { type: String, default: null, maxlength: 2000 },
	hostId: { type: ObjectId, required: true },
	/** Everyone invited, the host included. */
	participantIds: { type: [ObjectId], required: true },
	classId: { type: ObjectId, default: null },
	rendezvousId: { type: ObjectId, default: null },
	pathId: { type: ObjectId, default: null },
	stepId: { type: String, default: null },
	start: { type: Date, required: true },
	end: { type: Date, required: true },
	status: { type: String, enum: VISIO_STATUSES, required: true, default: "scheduled" },
	roomName: { type: String, required: true, unique: true },
	version: { type: Number, required: true, default: 1 },
	/** What students may publish; the host may change it, also during the call. */
	studentPublish: {
		type: part({ camera: { type: Boolean, default: true }, microphone: { type: Boolean, default: true }, screenShare: { type: Boolean, default: false } }),
		default: () => ({ camera: true, microphone: true, screenShare: false }),
	},
	roomOpenedAt: { type: Date, default: null },
	endedAt: { type: Date, default: null },
	cancelledAt: { type: Date, default: null },
});
VisioconferenceSchema.index({ schoolId: 1, participantIds: 1, start: 1 });
VisioconferenceSchema.index({ status: 1, end: 1 });

export const Visioconference = defineModel("Visioconference", VisioconferenceSchema);

/**
 * A rendez-vous between a student and one of their teachers: slots proposed by one side, accepted,
 * declined or countered by the other; once booked it has a Visioconference. `version` grows with every
 * change so each transition is one conditional update (two clicks at once cannot both win). Owned by
 * services/communication/rendezvous.service.ts.
 */
import { defineModel, defineSchema, ObjectId, part } from "./define.js";

export const RENDEZVOUS_STATUSES = ["pending", "booked", "declined", "cancelled"] as const;
export type RendezvousStatus = (typeof RENDEZVOUS_STATUSES)[number];

const Slot = part({ start: { type: Date, required: true }, end: { type: Date, required: true } });

const Proposal = part({
	by: { type: String, enum: ["student", "teacher"], required: true },
	byUserId: { type: ObjectId, required: true },
	slots: { type: [Slot], required: true },
	message: { type: String, default: null, maxlength: 1000 },
	at: { type: Date, required: true },
});

const Change = part({
	at: { type: Date, required: true },
	by: { type: ObjectId, required: true },
	action: { type: String, required: true },
	start: { type: Date, default: null },
	end: { type: Date, default: null },
	message: { type: String, default: null, maxlength: 1000 },
});

export const RendezVousSchema = defineSchema({
	schoolId: { type: ObjectId, required: true },
	studentId: { type: ObjectId, required: true },
	teacherId: { type: ObjectId, required: true },
	topic: { type: String, default: null, maxlength: 200 },
	pathId: { type: ObjectId, default: null },
	stepId: { type: String, default: null },
	status: { type: String, enum: RENDEZVOUS_STATUSES, required: true, default: "pending" },
	/** What awaits an answer: the first proposal, a counter-proposal, or a request to move a booked one. */
	proposal: { type: Proposal, default: null },
	booked: { type: Slot, default: null },
	visioId: { type: ObjectId, default: null },
	version: { type: Number, required: true, default: 0 },
	history: { type: [Change], default: [] },
});
RendezVousSchema.index({ schoolId: 1, studentId: 1, _id: -1 });
RendezVousSchema.index({ schoolId: 1, teacherId: 1, _id: -1 });

export const RendezVous = defineModel("RendezVous", RendezVousSchema);

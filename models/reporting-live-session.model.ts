/**
 * A teacher-led live session's results, summed from its students' learning.session.completed (mode group):
 * participants, answers, right answers, score, the classes its students attend. Owned by services/reporting.
 */
import { defineModel, defineSchema } from "./define.js";

export const ReportingLiveSessionSchema = defineSchema({
	_id: { type: String, required: true },
	schoolId: { type: String, required: true },
	g: { type: Number, required: true },
	liveSessionId: { type: String, required: true },
	pathId: { type: String, default: null },
	teacherId: { type: String, default: null },
	at: { type: Date, default: null },
	classIds: { type: [String], default: [] },
	n: { type: Number, default: 0 },
	sc: { type: Number, default: 0 },
	an: { type: Number, default: 0 },
	ok: { type: Number, default: 0 },
}, { timestamps: false, collection: "reporting_live_sessions", minimize: false });
ReportingLiveSessionSchema.index({ schoolId: 1, g: 1 });

export const ReportingLiveSession = defineModel("ReportingLiveSession", ReportingLiveSessionSchema);

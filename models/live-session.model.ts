/**
 * A teacher-led live revision session (issue 4): the class, path step and questions it runs, the short
 * code students join with, the Colyseus room that hosts it and, once ended, the final leaderboard.
 * Owned by services/learning/live-sessions.service.ts; the room (rooms/group.room.ts) holds the live
 * state and reaches this record only through that service. Answers are not stored here: each is a
 * review in the student's memory (ReviewLog) and, at the end, part of their RevisionSession (mode group).
 */
import { Schema } from "mongoose";
import { defineModel, defineSchema, ObjectId, part } from "./define.js";
import { leaseModel } from "./lease.model.js";

export const LIVE_STATUSES = ["open", "ended"] as const;

export const LiveSessionSchema = defineSchema({
	schoolId: { type: ObjectId, required: true, index: true },
	teacherId: { type: ObjectId, required: true },
	/** The path's owner: whose scheduling layer applies to the reviews. */
	pathOwnerId: { type: ObjectId, required: true },
	classId: { type: ObjectId, required: true },
	pathId: { type: ObjectId, required: true },
	stepId: { type: String, required: true },
	subject: { type: String, required: true },
	/** Platform-wide unique, never reused: a code names one session, whatever its school. */
	code: { type: String, required: true, unique: true },
	roomId: { type: String, default: null },
	itemIds: { type: [String], required: true },
	timeLimitSeconds: { type: Number, required: true },
	status: { type: String, enum: LIVE_STATUSES, required: true, default: "open" },
	startedAt: { type: Date, default: null },
	endedAt: { type: Date, default: null },
	endReason: { type: String, default: null },
	/**
	 * Where the room had got to (issue 16): the question open or last revealed, saved at each step, so a room
	 * that takes over after its realtime process died resumes there (rooms/group-resume.ts).
	 */
	progress: {
		type: part({
			questionIndex: { type: Number, default: -1 },
			phase: { type: String, enum: ["lobby", "question", "revealed"], default: "lobby" },
			deadline: { type: Date, default: null },
			remainingMs: { type: Number, default: null },
			sessionStartedAt: { type: Date, default: null },
			at: { type: Date, default: null },
		}),
		default: null,
	},
	leaderboard: {
		type: [new Schema({ studentId: { type: String, required: true }, score: Number, rank: Number, answered: Number, correct: Number }, { _id: false })],
		default: [],
	},
});
LiveSessionSchema.index({ schoolId: 1, teacherId: 1, createdAt: -1 });

export const LiveSession = defineModel("LiveSession", LiveSessionSchema);

/** Held while a session's room is reopened on another realtime process (one new room per session). */
export const LiveSessionLease = leaseModel("LiveSessionLease");

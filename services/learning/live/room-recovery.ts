/**
 * A live session outliving the realtime process of its room (issue 16). The room saves where it is at
 * each step (`liveSessions.checkpoint`) and every acknowledged answer is a LiveAnswer row (written by
 * `liveSessions.recordAnswers` before the student hears it was recorded). When the process dies, the
 * next `POST /api/live-sessions/join` (students and teacher alike) finds the room gone, opens a new one
 * on a live realtime process with `resume: true` (one at a time per session, under a lease), and the new
 * room rebuilds the session from what was saved (rooms/group-resume.ts).
 */
import { LiveAnswer } from "../../../models/live-answer.model.js";
import { LiveSessionLease } from "../../../models/live-session.model.js";
import { isDuplicateKey } from "../../shared/errors.js";
import type { Ctx } from "../../shared/identity.js";
import { withLease } from "../../shared/lease.js";
import type { LiveAnswerRecord } from "./live-answer.js";

export interface LiveProgress {
	questionIndex: number;
	phase: "lobby" | "question" | "revealed";
	deadline: Date | null;
	remainingMs: number | null;
	sessionStartedAt: Date | null;
}

/** The recorded answers of a batch, kept for a room that must resume; a retried batch writes each once. */
export async function keepAnswers(schoolId: string, answers: (LiveAnswerRecord & { questionIndex?: number; points?: number; answer?: unknown })[]): Promise<void> {
	const rows = answers
		.filter(a => typeof a.questionIndex === "number")
		.map(a => ({
			schoolId,
			liveSessionId: a.liveSessionId,
			studentId: a.studentId,
			itemId: a.itemId,
			attempt: a.attempt ?? 1,
			questionIndex: a.questionIndex,
			clientId: a.clientId,
			correct: a.correct,
			score: a.score,
			rating: a.rating,
			responseTimeMs: a.responseTimeMs ?? null,
			points: a.points ?? 0,
			answer: a.answer ?? null,
			answeredAt: a.answeredAt,
		}));
	if (rows.length === 0) return;
	try {
		await LiveAnswer.insertMany(rows, { ordered: false });
	} catch (err: any) {
		// Rows already written by a first attempt of this batch are fine; anything else fails the batch.
		const failures: any[] = err?.writeErrors ?? [];
		if (failures.length === 0 || !failures.every(f => isDuplicateKey(f) || isDuplicateKey(f?.err))) throw err;
	}
}

export async function answersOf(schoolId: string, liveSessionId: string) {
	const rows = await LiveAnswer.find({ schoolId, liveSessionId }).sort({ answeredAt: 1, _id: 1 }).lean();
	return rows.map((r: any) => ({
		studentId: String(r.studentId),
		itemId: r.itemId,
		attempt: r.attempt ?? 1,
		questionIndex: r.questionIndex,
		clientId: r.clientId,
		correct: r.correct,
		score: r.score,
		rating: r.rating,
		responseTimeMs: r.responseTimeMs,
		points: r.points,
		answer: r.answer,
		answeredAt: r.answeredAt,
	}));
}

/**
 * The session's room id, reopened on a live realtime process when its own is gone. `realtime.groupRoomAlive`
 * asks the shared matchmaker (and health-checks the room's process); without an answer the room is taken
 * as alive (a realtime tier that does not answer cannot host a new room either).
 */
export async function liveRoomId(svc: any, ctx: Ctx<any>, session: { id: string; code: string; roomId: string | null; status: string }): Promise<string | null> {
	if (session.status !== "open" || !session.roomId) return session.roomId;
	const alive = await ctx.call("realtime.groupRoomAlive", { roomId: session.roomId }).then(
		(r: any) => r?.alive !== false,
		() => true,
	);
	if (alive) return session.roomId;
	return withLease(
		LiveSessionLease,
		`room:${session.id}`,
		async () => {
			const now = await svc.model.findOne(svc.tenantFilter(ctx, { _id: session.id }), { roomId: 1, status: 1 });
			// Someone else reopened it while this caller waited for the lease.
			if (!now || now.status !== "open" || now.roomId !== session.roomId) return now?.roomId ?? null;
			const { roomId } = (await ctx.call("realtime.openGroupRoom", { liveSessionId: session.id, code: session.code, resume: true }, { meta: { user: { id: "system", schoolId: ctx.meta.user?.schoolId, roles: ["system"] } } })) as { roomId: string };
			await svc.model.updateOne(svc.tenantFilter(ctx, { _id: session.id, roomId: session.roomId }), { $set: { roomId } });
			svc.logger.warn(`Live session ${session.id}: its room ${session.roomId} was gone; resumed in room ${roomId}`);
			return roomId;
		},
		{ waitMs: 15_000, leaseMs: 20_000, busyMessage: "This live session is being resumed, join again in a moment" },
	);
}

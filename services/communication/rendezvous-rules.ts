/**
 * The rules of a rendez-vous between a student and a teacher, without a database: who is awaited, what
 * slots are acceptable, until when it may be cancelled or moved. The service applies them to one document
 * at a time with conditional updates.
 */
import { durationMinutes, overlaps, type Interval } from "./time-rules.js";

export type Side = "student" | "teacher";

export interface RendezvousView {
	status: "pending" | "booked" | "declined" | "cancelled";
	studentId: string;
	teacherId: string;
	proposal: { by: Side; slots: Interval[] } | null;
	booked: Interval | null;
}

export const MIN_SLOT_MINUTES = 15;
export const MAX_SLOT_MINUTES = 180;
export const MAX_SLOTS = 3;
/** How far ahead a slot may be proposed. */
export const MAX_AHEAD_DAYS = 180;

export function sideOf(rv: Pick<RendezvousView, "studentId" | "teacherId">, userId: string): Side | null {
	if (rv.studentId === userId) return "student";
	if (rv.teacherId === userId) return "teacher";
	return null;
}

/** The side whose answer the rendez-vous waits for, if any. */
export function awaited(rv: RendezvousView): Side | null {
	if (!rv.proposal || (rv.status !== "pending" && rv.status !== "booked")) return null;
	return rv.proposal.by === "student" ? "teacher" : "student";
}

export type SlotProblem = { index: number; message: string };

/** Problems of proposed slots: count, order, length, notice, horizon, overlaps between them. */
export function slotProblems(slots: Interval[], now: Date, minNoticeMinutes: number): SlotProblem[] {
	const problems: SlotProblem[] = [];
	if (slots.length < 1 || slots.length > MAX_SLOTS) problems.push({ index: -1, message: `propose between 1 and ${MAX_SLOTS} slots` });
	const earliest = now.getTime() + minNoticeMinutes * 60_000;
	const latest = now.getTime() + MAX_AHEAD_DAYS * 86_400_000;
	slots.forEach((slot, index) => {
		const minutes = durationMinutes(slot);
		if (!(slot.end > slot.start)) problems.push({ index, message: "ends before it starts" });
		else if (minutes < MIN_SLOT_MINUTES || minutes > MAX_SLOT_MINUTES) problems.push({ index, message: `must last ${MIN_SLOT_MINUTES} to ${MAX_SLOT_MINUTES} minutes` });
		if (slot.start.getTime() < earliest) problems.push({ index, message: `must start at least ${minNoticeMinutes} minutes from now` });
		if (slot.start.getTime() > latest) problems.push({ index, message: `must start within ${MAX_AHEAD_DAYS} days` });
		if (slots.some((other, j) => j < index && overlaps(other, slot))) problems.push({ index, message: "overlaps another proposed slot" });
	});
	return problems;
}

/** Whether a booked rendez-vous may still be cancelled or moved (before the cut-off); a pending one always may. */
export function beforeCutoff(rv: Pick<RendezvousView, "status" | "booked">, now: Date, cutoffMinutes: number): boolean {
	if (rv.status !== "booked" || !rv.booked) return true;
	return now.getTime() <= rv.booked.start.getTime() - cutoffMinutes * 60_000;
}

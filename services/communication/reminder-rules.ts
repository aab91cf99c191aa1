/**
 * When reminders fire, and what happens to those whose time passed while no tick ran (downtime):
 * - each offset (minutes before the start) gives one reminder, unless its time has already passed when the
 *   event is scheduled or moved (a visio booked for in 10 minutes gets no "in 15 minutes" reminder);
 * - caught up after downtime: of one user's overdue reminders of one event, only the latest is sent,
 *   once, late, as long as the event has not ended (its text says how far off the start really is); the
 *   older ones are skipped as superseded. A reminder of an event that is over is skipped.
 */
export const DEFAULT_OFFSETS = [1440, 15] as const;

export function plannedFireTimes(start: Date, offsets: readonly number[], now: Date): { offsetMinutes: number; fireAt: Date; past: boolean }[] {
	return [...new Set(offsets)].map(offsetMinutes => {
		const fireAt = new Date(start.getTime() - offsetMinutes * 60_000);
		return { offsetMinutes, fireAt, past: fireAt.getTime() <= now.getTime() };
	});
}

export interface Due {
	id: string;
	fireAt: Date;
	eventEnd: Date;
}

/** Of one user's due reminders of one event: which to send, which to skip and why. */
export function catchUp<T extends Due>(due: T[], now: Date): { send: T | null; skip: { reminder: T; reason: "event_over" | "superseded" }[] } {
	if (due.length === 0) return { send: null, skip: [] };
	if (due[0].eventEnd.getTime() <= now.getTime()) return { send: null, skip: due.map(reminder => ({ reminder, reason: "event_over" as const })) };
	const latest = due.reduce((a, b) => (b.fireAt > a.fireAt ? b : a));
	return { send: latest, skip: due.filter(d => d !== latest).map(reminder => ({ reminder, reason: "superseded" as const })) };
}

/** Minutes from now to the start, rounded; negative once started. */
export function minutesUntil(start: Date, now: Date): number {
	return Math.round((start.getTime() - now.getTime()) / 60_000);
}

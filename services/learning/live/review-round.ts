/**
 * Learning steps in a teacher-paced live group session (rooms/group.room.ts), without I/O.
 *
 * In a solo session an item comes back to the student once its learning step has elapsed (sessions/session-logic.ts).
 * A group session is paced by the teacher and every student sees the same question, so an item cannot come back to
 * each student at their own moment. What the room does instead: it keeps, from what memory made of each recorded
 * answer, which students have which items in a same-session learning step (a wrong answer puts a known item in its
 * 10-minute relearning step, a new one in its learning steps). Once the planned questions are done, the teacher's
 * `next` asks a review question: the item whose step has elapsed for the most students, open to those students only,
 * worth no points (the leaderboard stays about first answers), recorded in their memory as a further review. When no
 * step has elapsed, `next` ends the session as before; the state's `nextReviewAt` tells the teacher when one will.
 * Items whose step has not come when the session ends are due at their step time for the students' next sessions.
 */
import { MAX_STEP_IN_SESSION_MS, MAX_STEPS_PER_ITEM } from "../sessions/session-logic.js";

/** Review questions a session asks at most, after its planned ones. */
export const MAX_REVIEW_QUESTIONS = 50;

/** FSRS card states: a same-day (re)learning step. */
const LEARNING = 1;
const RELEARNING = 3;

export interface RecordedOutcome {
	/** The card's state after the answer (ts-fsrs State). */
	state: number;
	due: Date | number | string;
}

export interface ReviewRound {
	itemId: string;
	/** The students whose step for this item has elapsed. */
	studentIds: string[];
}

export class StepBook {
	/** studentId → itemId → when the item's step falls due (ms). */
	private readonly pending = new Map<string, Map<string, number>>();
	/** `${studentId}\0${itemId}` → answers recorded in this session. */
	private readonly answered = new Map<string, number>();
	/** `${studentId}\0${itemId}` → review questions asked of the student for the item. */
	private readonly asked = new Map<string, number>();

	/** Which answer this would be (1 for the first): review keys tell a review question's answer from the first. */
	attempt(studentId: string, itemId: string): number {
		return (this.answered.get(key(studentId, itemId)) ?? 0) + 1;
	}

	/** An answer memory recorded at `answeredAt`, and the card it left. */
	record(studentId: string, itemId: string, answeredAt: number, after: RecordedOutcome): void {
		this.answered.set(key(studentId, itemId), this.attempt(studentId, itemId));
		const due = new Date(after.due).getTime();
		let mine = this.pending.get(studentId);
		const inStep = (after.state === LEARNING || after.state === RELEARNING) && due - answeredAt <= MAX_STEP_IN_SESSION_MS;
		if (inStep && (this.asked.get(key(studentId, itemId)) ?? 0) < MAX_STEPS_PER_ITEM) {
			if (!mine) this.pending.set(studentId, (mine = new Map()));
			mine.set(itemId, due);
		} else mine?.delete(itemId);
	}

	/** The review question to ask at `now`: the item due again for the most students (then the earliest), or null. */
	choose(now: number): ReviewRound | null {
		const byItem = new Map<string, { studentIds: string[]; first: number }>();
		for (const [studentId, items] of this.pending) {
			for (const [itemId, due] of items) {
				if (due > now) continue;
				const entry = byItem.get(itemId) ?? { studentIds: [], first: due };
				entry.studentIds.push(studentId);
				entry.first = Math.min(entry.first, due);
				byItem.set(itemId, entry);
			}
		}
		const [best] = [...byItem.entries()].sort(([a, x], [b, y]) => y.studentIds.length - x.studentIds.length || x.first - y.first || (a < b ? -1 : a > b ? 1 : 0));
		return best ? { itemId: best[0], studentIds: best[1].studentIds.sort() } : null;
	}

	/** The round is asked: its students' steps for the item are taken (an answer may put them back). */
	asking(round: ReviewRound): void {
		for (const studentId of round.studentIds) {
			this.asked.set(key(studentId, round.itemId), (this.asked.get(key(studentId, round.itemId)) ?? 0) + 1);
			this.pending.get(studentId)?.delete(round.itemId);
		}
	}

	/** When the next step falls due (ms), or null when none waits. */
	nextDueAt(): number | null {
		let next: number | null = null;
		for (const items of this.pending.values()) for (const due of items.values()) next = next === null ? due : Math.min(next, due);
		return next;
	}
}

const key = (studentId: string, itemId: string) => `${studentId}\u0000${itemId}`;

/**
 * The group rooms' answers, written together: one group commit (group-commit.ts) per school for every group
 * room of this process, since a school's rooms write as the same principal (the system, confined to the school).
 *
 * Why not one per room: 40 rooms of 50 students, each writing its own batches, made batches of ~4 answers, so
 * the database paid its fixed cost per batch (a read, one insertMany, one bulkWrite, their commits) every few
 * answers, 40 rooms at once. One writer per school sends whatever arrived while its previous batches were
 * written, up to MAX_BATCH answers: under load the fixed cost is paid once for a hundred answers; a lone
 * answer is still written at once.
 */
import type { ServiceBroker } from "moleculer";
import type { LiveAnswerRecord } from "../services/learning/live/live-answer.js";
import { GroupCommit } from "./group-commit.js";
import { RoomError } from "./protocol.js";

type Outcome = ({ ok: true } & RecordedAnswer) | { ok: false; error: { type: string; message: string } };

/** What memory made of a recorded answer: the rating it applied, and the card's state and due time after it. */
export interface RecordedAnswer {
	rating: number;
	state: number;
	due: Date;
}

/**
 * Answers per write. Large enough that the fixed cost per batch is shared by many answers; small enough
 * that one slow batch on a loaded database stays well within a request's time, and a failure fails few answers.
 */
const MAX_BATCH = 100;
/** Two batches in flight: one is gathered while one is written, and a slow batch does not stall the school. */
const IN_FLIGHT = 2;
/**
 * An answer is acknowledged once recorded, late if the database is slow, rather than refused because an
 * interactive request would have given up (REQUEST_TIMEOUT_MS): the write goes on server-side either way,
 * and a refusal would make the student send it again into the same queue.
 */
const WRITE_TIMEOUT_MS = 60_000;

export class AnswerWriters {
	private readonly bySchool = new Map<string, GroupCommit<LiveAnswerRecord, RecordedAnswer>>();

	constructor(private readonly broker: ServiceBroker) {}

	/** Resolves once the answer is recorded in the student's memory (with what memory made of it); rejects with a RoomError if it was refused. */
	add(schoolId: string, answer: LiveAnswerRecord): Promise<RecordedAnswer> {
		let writer = this.bySchool.get(schoolId);
		if (!writer) this.bySchool.set(schoolId, (writer = new GroupCommit<LiveAnswerRecord, RecordedAnswer>(batch => this.write(schoolId, batch), MAX_BATCH, IN_FLIGHT)));
		return writer.add(answer);
	}

	/** The realtime service stops: answers still queued are refused (their students may send them again). */
	close(): void {
		for (const writer of this.bySchool.values()) writer.close();
		this.bySchool.clear();
	}

	private async write(schoolId: string, answers: LiveAnswerRecord[]): Promise<(Error | RecordedAnswer)[]> {
		const { results } = await this.broker.call<{ results: Outcome[] }, { answers: LiveAnswerRecord[] }>(
			"liveSessions.recordAnswers",
			{ answers },
			{ meta: { user: { id: "system", schoolId, roles: ["system"] } }, timeout: WRITE_TIMEOUT_MS },
		);
		return results.map(r =>
			r.ok ? { rating: r.rating, state: r.state, due: new Date(r.due) } : new RoomError(r.error.type, `Your answer could not be recorded: ${r.error.message}`),
		);
	}
}

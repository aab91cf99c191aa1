/**
 * Gapless numbers per series and year (French law: invoices and credit notes are numbered in one
 * continuous chronological sequence), given only when a document becomes final.
 *
 * One counter document per series and year holds `seq` (the last number handed out) and at most one
 * `claim`: the block of numbers [lo, hi] someone is writing onto documents right now. The protocol:
 * - a new block is claimed only while there is no claim, by one conditional update that moves `seq`
 *   and records the claim (so two finalisers never get the same numbers, on any number of nodes);
 * - the claimant writes each number onto a draft in the same update that makes it final (filter
 *   `status: draft`, no number yet); a unique index on the number refuses a second use of it;
 * - the claim is cleared only once every number of the block is on a document. A claimant that dies
 *   (a crash between taking numbers and finalising) leaves its claim: once it expires, the next
 *   finaliser takes it over and puts the missing numbers on its own drafts, with the claim's issue
 *   date, so the sequence stays continuous and chronological;
 * - numbers a claimant cannot use (its drafts were finalised meanwhile) go back to the counter when
 *   they are the last ones handed out; otherwise the next finaliser fills them.
 * The counter's document is the only shared state, and every step is one atomic single-document
 * operation (no transactions).
 *
 * Query shapes: documents are read by `_id: {$in}` alone and numbers by `number: {$in}` alone, and a draft
 * is made final by a bulk update whose filter is its `draftKey` alone (a field only drafts carry, with a
 * unique index, removed by that same update). Each is one index lookup on MongoDB and on the test server,
 * which scans the collection for a filter mixing `$in`, or `_id` with other fields.
 */
import { randomUUID } from "node:crypto";
import type { Model } from "mongoose";
import { duplicateKeyIndexes } from "../shared/errors.js";
import { localDate } from "./period.js";

export type Series = "invoice" | "credit_note";

export const SERIES_PREFIX: Readonly<Record<Series, string>> = { invoice: "FA", credit_note: "AV" };

export interface Claim {
	lo: number;
	hi: number;
	owner: string;
	expiresAt: Date;
	issuedAt: Date;
}

export interface Assigned {
	number: string;
	year: number;
	seq: number;
	issuedAt: Date;
}

export interface NumberingOptions {
	series: Series;
	/** Counters (one per series and year). */
	counters: Model<any>;
	/** Where the drafts are: documents with `status: "draft"`, `numberYear`, `numberSeq`, `number`. */
	documents: Model<any>;
	timeZone: string;
	now?: () => Date;
	/** How long a claim protects its numbers before another finaliser may take them over. */
	claimTtlMs?: number;
	/** The most numbers claimed at once. */
	blockSize?: number;
	/** How long to keep trying before giving up (a busy or stuck counter). */
	waitMs?: number;
	/** The fields that make a draft final, besides its number (status, dates, content hash...). */
	finalFields: (draft: any, assigned: Assigned) => Record<string, unknown>;
	/** Called once numbers are claimed, before they are written: a test's way to crash there. */
	beforeWrite?: (claim: { key: string; numbers: number[] }) => Promise<void> | void;
}

export interface NumberingResult {
	/** Ids this call made final, in number order. */
	finalized: string[];
}

export function formatNumber(series: Series, year: number, seq: number): string {
	return `${SERIES_PREFIX[series]}-${year}-${String(seq).padStart(6, "0")}`;
}

export function counterKey(series: Series, year: number): string {
	return `${series}:${year}`;
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

function rangeOf(lo: number, hi: number): number[] {
	return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

/** Makes the given drafts final with the next numbers of their series; safe to call from any number of nodes at once. */
export async function finalizeDrafts(ids: readonly string[], opts: NumberingOptions): Promise<NumberingResult> {
	const blockSize = opts.blockSize ?? 500;
	const distinct = [...new Set(ids.map(String))];
	const finalized: string[] = [];
	// A block's worth at a time: each round reads only the drafts it may number.
	for (let i = 0; i < distinct.length; i += blockSize) {
		finalized.push(...(await finalizeChunk(distinct.slice(i, i + blockSize), opts)).finalized);
	}
	return { finalized };
}

async function finalizeChunk(ids: readonly string[], opts: NumberingOptions): Promise<NumberingResult> {
	const now = opts.now ?? (() => new Date());
	const ttl = opts.claimTtlMs ?? 30_000;
	const blockSize = ids.length;
	const deadline = Date.now() + (opts.waitMs ?? 120_000);
	const me = randomUUID();
	const { counters, documents, series } = opts;
	const remaining = new Set(ids.map(String));
	const finalized: string[] = [];

	/** Numbers of a claim that no document carries yet. */
	const missingOf = async (year: number, claim: Claim): Promise<number[]> => {
		const numbers = rangeOf(claim.lo, claim.hi).map(n => formatNumber(series, year, n));
		const used = await documents.find({ number: { $in: numbers } }, { numberSeq: 1 }).lean();
		const taken = new Set(used.map((d: any) => d.numberSeq));
		return rangeOf(claim.lo, claim.hi).filter(n => !taken.has(n));
	};

	const isDraft = (d: any) => typeof d.draftKey === "string";
	const pendingCount = async () =>
		remaining.size === 0 ? 0 : ((await documents.find({ _id: { $in: [...remaining] } }, { draftKey: 1 }).lean()) as any[]).filter(isDraft).length;
	// Plain objects: the final fields are computed from them (hydrating thousands of documents costs seconds).
	const draftsOf = async (limit: number) => {
		const docs = (await documents.find({ _id: { $in: [...remaining] } }).lean()) as any[];
		return docs
			.filter(isDraft)
			.sort((a: any, b: any) => (String(a._id) < String(b._id) ? -1 : 1))
			.slice(0, limit);
	};

	for (let round = 0; ; round++) {
		if (Date.now() > deadline) throw new Error(`numbering of ${series} did not finish in time (counter busy)`);
		let work: { key: string; year: number; numbers: number[]; claim: Claim } | null = null;
		const pending = await pendingCount();
		if (pending === 0) break;

		// 1. A claim in progress (this year's or, just after New Year, last year's) is settled first.
		const claimed = await counters.find({ series, claim: { $ne: null } }).lean();
		let waiting = false;
		for (const counter of claimed as any[]) {
			const claim = counter.claim as Claim;
			const missing = await missingOf(counter.year, claim);
			if (missing.length === 0) {
				await counters.updateOne({ _id: counter._id, "claim.owner": claim.owner }, { $set: { claim: null } });
				continue;
			}
			if (claim.owner !== me && claim.expiresAt.getTime() > Date.now()) {
				waiting = true;
				continue;
			}
			if (claim.owner !== me) {
				const taken = await counters.findOneAndUpdate(
					{ _id: counter._id, "claim.owner": claim.owner },
					{ $set: { "claim.owner": me, "claim.expiresAt": new Date(Date.now() + ttl) } },
					{ new: true },
				);
				if (!taken) {
					waiting = true;
					continue;
				}
			}
			work = { key: counter._id, year: counter.year, numbers: missing, claim };
			break;
		}

		if (!work) {
			if (waiting) {
				await sleep(Math.min(50, 5 + round) * (0.5 + Math.random()));
				continue;
			}
			// 2. No claim: take the next block.
			const issuedAt = now();
			const year = localDate(issuedAt, opts.timeZone).y;
			const key = counterKey(series, year);
			const counter = await counters.findOneAndUpdate(
				{ _id: key },
				{ $setOnInsert: { series, year, seq: 0, claim: null } },
				{ upsert: true, new: true },
			).lean<any>();
			if (counter.claim) continue;
			const count = Math.min(pending, blockSize);
			const claim: Claim = { lo: counter.seq + 1, hi: counter.seq + count, owner: me, expiresAt: new Date(Date.now() + ttl), issuedAt };
			const got = await counters.findOneAndUpdate({ _id: key, seq: counter.seq, claim: null }, { $inc: { seq: count }, $set: { claim } }, { new: true }).lean();
			if (!got) continue;
			work = { key, year, numbers: rangeOf(claim.lo, claim.hi), claim };
		}

		// 3. Inside our claim: put its numbers on our drafts.
		const { key, year, claim } = work;
		let numbers = work.numbers;
		const drafts = await draftsOf(numbers.length);
		if (drafts.length < numbers.length) {
			// Give back the unused numbers at the top of the counter; those in the middle wait for the next finaliser.
			const unused = numbers.slice(drafts.length);
			const top = unused[unused.length - 1];
			const contiguousTop = unused.every((n, i) => n === unused[0] + i);
			if (contiguousTop) {
				const back = await counters.findOneAndUpdate(
					{ _id: key, seq: top, "claim.owner": me },
					{ $set: { seq: unused[0] - 1, "claim.hi": unused[0] - 1 } },
					{ new: true },
				);
				if (back) numbers = numbers.slice(0, drafts.length);
			}
		}
		if (drafts.length === 0) {
			// Nothing of ours left to number. An emptied claim goes; one still missing numbers (in the middle of
			// the sequence) is left for the next finaliser at once.
			if (numbers.length === 0) await counters.updateOne({ _id: key, "claim.owner": me }, { $set: { claim: null } });
			else await counters.updateOne({ _id: key, "claim.owner": me }, { $set: { "claim.expiresAt": new Date(0) } });
			break;
		}
		await opts.beforeWrite?.({ key, numbers: numbers.slice(0, drafts.length) });
		const writes = drafts.map((draft: any, i: number) => {
			const assigned: Assigned = { number: formatNumber(series, year, numbers[i]), year, seq: numbers[i], issuedAt: claim.issuedAt };
			return {
				updateOne: {
					// Still a draft: the filter is what makes the number and the finalisation one fact.
					filter: { draftKey: draft.draftKey },
					update: {
						$set: { ...opts.finalFields(draft, assigned), number: assigned.number, numberYear: year, numberSeq: assigned.seq, updatedAt: new Date() },
						$unset: { draftKey: "" },
					},
				},
			};
		});
		try {
			await documents.bulkWrite(writes, { ordered: false });
		} catch (err) {
			// A number someone else put on a document meanwhile (a claim taken over from a slow finaliser):
			// that draft stays a draft and gets another number on the next round.
			duplicateKeyIndexes(err);
		}
		const mine = new Set(numbers);
		const written = await documents.find({ _id: { $in: drafts.map((d: any) => d._id) } }, { draftKey: 1, numberYear: 1, numberSeq: 1 }).lean();
		for (const doc of (written as any[]).sort((a, b) => (a.numberSeq ?? 0) - (b.numberSeq ?? 0))) {
			if (isDraft(doc)) continue;
			remaining.delete(String(doc._id));
			if (doc.numberYear === year && mine.has(doc.numberSeq)) finalized.push(String(doc._id));
		}
	}
	// Our claim goes once whole; one still missing numbers (our drafts were finalised elsewhere) is free for the next finaliser.
	for (const counter of (await counters.find({ series, "claim.owner": me }).lean()) as any[]) {
		const whole = (await missingOf(counter.year, counter.claim)).length === 0;
		await counters.updateOne({ _id: counter._id, "claim.owner": me }, whole ? { $set: { claim: null } } : { $set: { "claim.expiresAt": new Date(0) } });
	}
	return { finalized };
}

/**
 * Numbers handed out but carried by no document, per series and year: what a finance team checks.
 * Empty when the sequence is whole (a claim being written counts as in progress, not as a gap).
 */
export async function numberingGaps(counters: Model<any>, documents: Model<any>, series: Series): Promise<{ year: number; lastNumber: number; issued: number; missing: number; inProgress: boolean }[]> {
	const all = await counters.find({ series }).sort({ year: 1 }).lean();
	const out = [];
	for (const c of all as any[]) {
		const issued = await documents.countDocuments({ numberYear: c.year });
		out.push({ year: c.year, lastNumber: c.seq, issued, missing: c.seq - issued, inProgress: !!c.claim });
	}
	return out;
}

/**
 * The memory service's reads and writes of response-time digests (response-times.ts), for one review or a batch:
 * one read by ids, one bulkWrite of appends. An append is a single atomic `$push … $slice` upsert per digest, so
 * concurrent answers never overwrite each other's samples. Losing one (a crash between the review and its append)
 * only makes the digest one answer shorter.
 */
import { ResponseDigest } from "../../../models/response-digest.model.js";
import { findByIds } from "../../shared/by-ids.js";
import { responseDigestId } from "./natural-ids.js";
import { DIGEST_SIZE } from "./response-times.js";

const keyOf = (studentId: string, kind: string) => `${studentId}:${kind}`;

/** The digests of these (student, kind) pairs, by `studentId:kind` (missing ones: empty). */
export async function readDigests(schoolId: string, pairs: readonly { studentId: string; kind: string }[]): Promise<Map<string, number[]>> {
	const wanted = new Map(pairs.map(p => [keyOf(p.studentId, p.kind), p]));
	const out = new Map<string, number[]>([...wanted.keys()].map(k => [k, []]));
	if (wanted.size === 0) return out;
	const docs = await findByIds(
		ResponseDigest,
		[...wanted.values()].map(p => responseDigestId(schoolId, p.studentId, p.kind)),
		schoolId,
		{ projection: { studentId: 1, kind: 1, times: 1 } },
	);
	for (const d of docs as any[]) out.set(keyOf(String(d.studentId), d.kind), (d.times ?? []).filter((t: unknown) => typeof t === "number"));
	return out;
}

/** Appends each sample to its digest (created on first use), keeping the last DIGEST_SIZE. */
export async function appendSamples(schoolId: string, samples: readonly { studentId: string; kind: string; time: number }[]): Promise<void> {
	const byDigest = new Map<string, { studentId: string; kind: string; times: number[] }>();
	for (const s of samples) {
		const key = keyOf(s.studentId, s.kind);
		const entry = byDigest.get(key) ?? { studentId: s.studentId, kind: s.kind, times: [] };
		entry.times.push(s.time);
		byDigest.set(key, entry);
	}
	if (byDigest.size === 0) return;
	// (mongoose's types do not know `$push` with `$each`/`$slice` on an untyped model)
	const ops: any[] = [...byDigest.values()].map(d => ({
		updateOne: {
			filter: { _id: responseDigestId(schoolId, d.studentId, d.kind), schoolId },
			update: {
				$setOnInsert: { studentId: d.studentId, kind: d.kind },
				$push: { times: { $each: d.times, $slice: -DIGEST_SIZE } },
			},
			upsert: true,
		},
	}));
	await ResponseDigest.bulkWrite(ops, { ordered: false });
}

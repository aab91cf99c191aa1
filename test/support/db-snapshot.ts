/**
 * Raw snapshots of what is stored, read straight from the database (not through the services under
 * test), to prove that a refused or cross-tenant request changed nothing. Documents are kept in
 * canonical Extended JSON, so a type change (ObjectId to string, Date to string) counts as a change.
 */
import { BSON } from "mongodb";
import mongoose from "mongoose";

export type Snapshot = Record<string, Record<string, string>>;
export type Filter = Record<string, unknown>;

export interface Change {
	collection: string;
	id: string;
	kind: "added" | "removed" | "changed";
	before?: Record<string, unknown>;
	after?: Record<string, unknown>;
}

function db() {
	const handle = mongoose.connection.db;
	if (!handle) throw new Error("no database connection: boot the platform first");
	return handle;
}

export async function collectionNames(): Promise<string[]> {
	const list = await db().listCollections({}, { nameOnly: true }).toArray();
	return list.map(c => c.name).filter(name => !name.startsWith("system.")).sort();
}

/** Every document of every collection whose filter is not null (collection name → filter). */
export async function snapshot(filterFor: (collection: string) => Filter | null = () => ({})): Promise<Snapshot> {
	const out: Snapshot = {};
	await Promise.all(
		(await collectionNames()).map(async name => {
			const filter = filterFor(name);
			if (!filter) return;
			const docs = await db().collection(name).find(filter).toArray();
			const byId: Record<string, string> = {};
			for (const doc of docs) byId[BSON.EJSON.stringify(doc._id, { relaxed: false })] = BSON.EJSON.stringify(doc, { relaxed: false });
			out[name] = byId;
		}),
	);
	return out;
}

/** Both spellings of an id, since some models keep references as strings and others as ObjectIds. */
export function idForms(ids: string[]): unknown[] {
	return ids.flatMap(id => (/^[0-9a-f]{24}$/i.test(id) ? [id, new mongoose.Types.ObjectId(id)] : [id]));
}

/** The documents of one school: its own document, its members' and everything carrying its schoolId or a member's userId. */
export function schoolFilter(schoolId: string, memberIds: string[]): (collection: string) => Filter {
	const school = idForms([schoolId]);
	const members = idForms(memberIds);
	return () => ({ $or: [{ schoolId: { $in: school } }, { _id: { $in: [...school, ...members] } }, { userId: { $in: members } }] });
}

export function diff(before: Snapshot, after: Snapshot): Change[] {
	const changes: Change[] = [];
	for (const collection of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
		const a = before[collection] ?? {};
		const b = after[collection] ?? {};
		for (const id of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
			if (a[id] === b[id]) continue;
			const parse = (s?: string) => (s === undefined ? undefined : (JSON.parse(s) as Record<string, unknown>));
			const kind = a[id] === undefined ? "added" : b[id] === undefined ? "removed" : "changed";
			changes.push({ collection, id, kind, before: parse(a[id]), after: parse(b[id]) });
		}
	}
	return changes;
}

/** One line per change, naming the fields that differ, for assertion messages. */
export function describeChanges(changes: Change[]): string[] {
	return changes.map(c => {
		if (c.kind !== "changed") return `${c.collection} ${c.kind} ${c.id}: ${JSON.stringify(c.after ?? c.before).slice(0, 400)}`;
		const keys = [...new Set([...Object.keys(c.before!), ...Object.keys(c.after!)])];
		const fields = keys.filter(k => JSON.stringify(c.before![k]) !== JSON.stringify(c.after![k]));
		return `${c.collection} changed ${c.id}: ${fields.map(f => `${f} ${JSON.stringify(c.before![f])} -> ${JSON.stringify(c.after![f])}`).join("; ")}`;
	});
}

/**
 * A snapshot taken once the database has stopped moving: some writes land after the response that
 * caused them (lastLoginAt, durable consumers, mail sent after answering).
 */
export async function settledSnapshot(filterFor?: (collection: string) => Filter | null, timeoutMs = 5000): Promise<Snapshot> {
	const deadline = Date.now() + timeoutMs;
	let previous = await snapshot(filterFor);
	for (;;) {
		await new Promise(r => setTimeout(r, 60));
		const next = await snapshot(filterFor);
		if (diff(previous, next).length === 0 || Date.now() > deadline) return next;
		previous = next;
	}
}

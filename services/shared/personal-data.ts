/**
 * The data-rights contract (issue 16, docs/DATA_RIGHTS.md): every service that owns personal data mixes
 * this in with a description of its collections, and so takes part in
 * - export: `<service>.exportPersonalData {userId, schoolId, section?, after?}` returns one page of one
 *   section of what it holds about the user (`{section, rows, next}`; the dataRights service follows
 *   `next` until it is null and writes each section into the archive);
 * - erasure of a user: the durable message `users.user.erasure_requested` {id, erasureId, schoolId, userId},
 *   consumed by every participant in its own group: it deletes or anonymises what it holds, then reports
 *   its part done (`dataRights.erasurePartDone`, with counts) — safe to repeat;
 * - erasure of a school: `users.school.erasure_requested` {id, erasureId, schoolId}: everything with the
 *   school's id goes, except what the law makes us keep (invoices...), which is anonymised;
 * - retention: `ops.retention.due` {id}: documents past their retention period (settings) are deleted.
 *
 * A collection is described, not coded: who it belongs to (`owner` fields), what a user's erasure does
 * (delete, keep, or an anonymising update of the documents that name them), what a school's erasure does,
 * and its retention. Services with a rule no description covers pass hooks.
 */
import type { Model } from "mongoose";
import mongoose from "mongoose";
import { Service, type ServiceSchema } from "moleculer";
import { ID } from "./params.js";
import { systemMeta, type Ctx } from "./identity.js";

/** Who an erasure is about; identifiers (email, names) are fetched only by the parts that search text. */
export interface ErasureSubject {
	erasureId: string;
	schoolId: string;
	userId: string;
}

export interface SubjectIdentifiers {
	email: string | null;
	username: string | null;
	firstName: string | null;
	lastName: string | null;
}

type Filter = Record<string, unknown>;
type Update = Record<string, unknown>;

export interface PersonalCollection {
	/** Name of the section in the export archive (`<service>/<section>.json`). */
	section: string;
	model: Model<any>;
	/** Fields naming the person a document belongs to (any of them matches). */
	owner: string[];
	/** Fields left out of the export (secrets, hashes, embeddings, raw files). */
	omit?: string[];
	/** Left out of the export entirely (tokens, technical records) but still erased. */
	noExport?: boolean;
	/**
	 * Which documents the export takes, when they name the person otherwise than by id (a billing contact's
	 * email); null: none. Default: the owner fields.
	 */
	exportFilter?: (subject: { userId: string; schoolId: string; email?: string }) => Record<string, unknown> | null;
	/**
	 * A user's erasure: "delete" the documents that are theirs; "keep" them (the owner field is only an id,
	 * the person's own fields are erased elsewhere); or an anonymising update of the documents that name them.
	 */
	onUserErasure: "delete" | "keep" | { filter?: (s: ErasureSubject) => Filter; update: (s: ErasureSubject) => Update };
	/** A school's erasure: "delete" (default) or kept for a legal retention, with an anonymising update. */
	onSchoolErasure?: "delete" | { keep: true; update?: Update };
	/** Documents carry no schoolId (a school's erasure leaves them to the hooks). */
	noSchoolField?: boolean;
	/** Deleted by the daily sweep once older than `days()` by `field`. */
	retention?: { days: () => number; field: string; filter?: Filter };
}

export interface PersonalDataHooks {
	/** Extra erasure work of a user (text mentions, other people's copies); returns counts to report. */
	eraseUser?(this: any, ctx: Ctx<any>, subject: ErasureSubject, identifiers: () => Promise<SubjectIdentifiers>): Promise<Record<string, number>>;
	eraseSchool?(this: any, ctx: Ctx<any>, schoolId: string): Promise<Record<string, number>>;
}

// moleculer overwrites a schema property it does not know when mixins merge; a service's own durable
// channels and the ones this mixin adds must both stay, so `channels` merge by name (the service wins).
const proto = Service.prototype as unknown as Record<string, unknown>;
proto.mergeSchemaChannels ??= (src: Record<string, unknown> | undefined, target: Record<string, unknown> | undefined) => ({ ...(target ?? {}), ...(src ?? {}) });

export const USER_ERASURE_CHANNEL = "users.user.erasure_requested";
export const SCHOOL_ERASURE_CHANNEL = "users.school.erasure_requested";
export const RETENTION_CHANNEL = "ops.retention.due";

/** Rows per export page: well under NATS's 1 MB message limit for the largest documents we export. */
const EXPORT_PAGE = 200;

/**
 * The documents naming the user in any owner field (stored as an ObjectId or as its hex string). A user
 * id is unique across schools, and the dataRights service checked the user is the caller's school's, so
 * the filter needs no school (a support conversation of a student has none).
 */
function ownerFilter(c: PersonalCollection, userId: string): Filter {
	const or = c.owner.map(field => ({ [field]: { $in: idForms(userId) } }));
	return or.length === 1 ? or[0] : { $or: or };
}

/** A case-insensitive exact match of a stored email address. */
export function sameEmail(email: string): RegExp {
	return new RegExp(`^${email.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "i");
}

/** An id as the ObjectId and the string it may be stored as. */
export function idForms(id: string): unknown[] {
	return mongoose.isValidObjectId(id) ? [new mongoose.Types.ObjectId(id), id] : [id];
}

function exportRow(c: PersonalCollection, doc: any): Record<string, unknown> {
	const json = typeof doc.toJSON === "function" ? doc.toJSON() : doc;
	const row: Record<string, unknown> = { id: String(json._id ?? json.id), ...json };
	delete row._id;
	for (const field of c.omit ?? []) delete row[field];
	return row;
}

function schoolFilter(schoolId: string): Filter {
	return { schoolId: new mongoose.Types.ObjectId(schoolId) };
}

/** What a message's handler needs: the system principal of the message's school. */
function asSystem(ctx: Ctx<any>, schoolId: string | null): void {
	ctx.meta.user = { ...systemMeta().user!, schoolId };
}

export function personalDataMixin(part: string, collections: PersonalCollection[], hooks: PersonalDataHooks = {}): Partial<ServiceSchema> {
	const sections = collections.filter(c => !c.noExport);
	return {
		actions: {
			exportPersonalData: {
				params: {
					$$strict: "remove",
					userId: ID,
					schoolId: ID,
					email: { type: "string", max: 254, optional: true },
					section: { type: "string", min: 1, max: 100, optional: true },
					after: { type: "string", min: 1, max: 100, optional: true },
				},
				async handler(this: any, ctx: Ctx<{ userId: string; schoolId: string; email?: string; section?: string; after?: string }>) {
					const { userId, schoolId, email } = ctx.params;
					let index = ctx.params.section ? sections.findIndex(c => c.section === ctx.params.section) : 0;
					if (index < 0) index = sections.length;
					const c = sections[index];
					if (!c) return { part, section: null, rows: [], next: null };
					const custom = c.exportFilter ? c.exportFilter({ userId, schoolId, email }) : undefined;
					const following = sections[index + 1];
					if (custom === null) return { part, section: c.section, rows: [], next: following ? { section: following.section } : null };
					const filter: Record<string, unknown> = custom ? { ...custom, schoolId: new mongoose.Types.ObjectId(schoolId) } : ownerFilter(c, userId);
					if (ctx.params.after) filter._id = { $gt: ctx.params.after.length === 24 ? new mongoose.Types.ObjectId(ctx.params.after) : ctx.params.after };
					const docs = await c.model.find(filter).sort({ _id: 1 }).limit(EXPORT_PAGE + 1);
					const more = docs.length > EXPORT_PAGE;
					const page = docs.slice(0, EXPORT_PAGE);
					const rows = page.map((d: any) => exportRow(c, d));
					const next = more ? { section: c.section, after: String(page[page.length - 1]._id) } : following ? { section: following.section } : null;
					return { part, section: c.section, rows, next };
				},
			},
		},

		channels: {
			[USER_ERASURE_CHANNEL]: {
				context: true,
				async handler(this: any, ctx: Ctx<ErasureSubject & { id: string }>) {
					const subject = { erasureId: ctx.params.erasureId, schoolId: ctx.params.schoolId, userId: ctx.params.userId };
					asSystem(ctx, subject.schoolId);
					const counts: Record<string, number> = {};
					for (const c of collections) {
						const rule = c.onUserErasure;
						if (rule === "keep") continue;
						if (rule === "delete") {
							counts[c.section] = (await c.model.deleteMany(ownerFilter(c, subject.userId))).deletedCount ?? 0;
						} else {
							const filter = rule.filter ? rule.filter(subject) : ownerFilter(c, subject.userId);
							counts[c.section] = (await c.model.updateMany(filter, rule.update(subject), { strict: false })).modifiedCount ?? 0;
						}
					}
					if (hooks.eraseUser) {
						let cached: Promise<SubjectIdentifiers> | undefined;
						const identifiers = () => (cached ??= ctx.call("dataRights.erasureSubject", { erasureId: subject.erasureId }) as Promise<SubjectIdentifiers>);
						Object.assign(counts, await hooks.eraseUser.call(this, ctx, subject, identifiers));
					}
					await ctx.call("dataRights.erasurePartDone", { erasureId: subject.erasureId, part, counts });
				},
			},
			[SCHOOL_ERASURE_CHANNEL]: {
				context: true,
				async handler(this: any, ctx: Ctx<{ id: string; erasureId: string; schoolId: string }>) {
					const { erasureId, schoolId } = ctx.params;
					asSystem(ctx, schoolId);
					const counts: Record<string, number> = {};
					for (const c of collections) {
						if (c.noSchoolField) continue;
						const rule = c.onSchoolErasure ?? "delete";
						if (rule === "delete") counts[c.section] = (await c.model.deleteMany(schoolFilter(schoolId))).deletedCount ?? 0;
						else if (rule.update) counts[c.section] = (await c.model.updateMany(schoolFilter(schoolId), rule.update, { strict: false })).modifiedCount ?? 0;
					}
					if (hooks.eraseSchool) Object.assign(counts, await hooks.eraseSchool.call(this, ctx, schoolId));
					await ctx.call("dataRights.erasurePartDone", { erasureId, part, counts });
				},
			},
			[RETENTION_CHANNEL]: {
				context: true,
				async handler(this: any, ctx: Ctx<{ id: string }>) {
					asSystem(ctx, null);
					for (const c of collections) {
						if (!c.retention) continue;
						const cutoff = new Date(Date.now() - c.retention.days() * 86_400_000);
						const { deletedCount } = await c.model.deleteMany({ ...(c.retention.filter ?? {}), [c.retention.field]: { $lt: cutoff } });
						if (deletedCount) this.logger.info(`Retention: deleted ${deletedCount} ${c.section} older than ${c.retention.days()} days`);
					}
				},
			},
		},
	} as Partial<ServiceSchema>;
}

/**
 * Content items: lessons, flashcards and questions, written by teachers (or imported). Shapes and checks
 * live in content/ (content-types, validate-item, import); who sees what in content/access.ts.
 *
 * Status: draft → validated → archived (content-types STATUS_TRANSITIONS). Editing a validated item
 * takes it back to draft (it must be validated again), and an item an active path uses may not leave
 * `validated` nor be deleted: `paths.itemInUse` says which are in use.
 */
import { randomUUID } from "node:crypto";
import { ContentItem } from "../../models/content-item.model.js";
import { dbMixin, PAGE_PARAMS, type PageParams } from "../shared/db.mixin.js";
import { conflict, forbidden, notFound } from "../shared/errors.js";
import { currentUser, type Ctx } from "../shared/identity.js";
import type { ServiceDef } from "../shared/service.js";
import { canManageItem, canReadItem, manageGuard, visibleItemsFilter } from "./content/access.js";
import {
	CONTENT_KINDS,
	CONTENT_STATUSES,
	CREATE_ITEM_PARAMS,
	TRANSITION_PARAMS,
	UPDATE_ITEM_PARAMS,
	type ContentInput,
	type ContentItem as Item,
	type ContentPatch,
	type ContentStatus,
} from "./content/content-types.js";
import { importRejected, MAX_IMPORT_CHARS, parseImport, type ImportFormat } from "./content/import.js";
import { applyUpdate, assertTransition, checkItem } from "./content/validate-item.js";
import { withLessonHtml } from "./content/lesson-html.js";
import { ID } from "../shared/params.js";
import { textRule } from "../shared/text-rules.js";
import { contentPersonalData } from "./personal-data.js";

type StoredItem = Item & { id: string; schoolId: string; ownerId: string; updatedAt: Date | string };

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

interface ListParams extends PageParams {
	subject?: string;
	kind?: string;
	status?: ContentStatus;
	tag?: string;
	q?: string;
	mine?: boolean;
}

const ContentService: ServiceDef = {
	name: "content",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [contentPersonalData, 
		dbMixin(ContentItem, {
			fields: [
				"id", "schoolId", "ownerId", "kind", "title", "subject", "tags", "difficulty", "expectedSeconds", "status", "origin",
				"markdown", "front", "back", "prompt", "explanation", "choices", "scoring", "answer", "accepted", "caseSensitive",
				"accentSensitive", "value", "tolerance", "unit", "createdAt", "updatedAt",
			],
		}),
	],

	// What goes out over REST: a lesson also carries `html`, its markdown rendered and sanitised (lesson-html.ts).
	hooks: {
		after: {
			"create|get|update|setStatus": (_ctx: unknown, item: unknown) => withLessonHtml(item),
			list: (_ctx: unknown, page: { rows: unknown[] }) => ({ ...page, rows: page.rows.map(withLessonHtml) }),
		},
	},

	actions: {
		create: {
			rest: "POST /content-items",
			params: CREATE_ITEM_PARAMS,
			async handler(this: any, ctx: Ctx<ContentInput>) {
				const user = currentUser(ctx);
				// Only the import and the AI block create items of another origin.
				const item = checkItem(ctx.params, { origin: "teacher" });
				const created = await this.insertScoped(ctx, { ...item, ownerId: user.id });
				ctx.meta.$statusCode = 201;
				return created;
			},
		},

		list: {
			rest: "GET /content-items",
			params: {
				$$strict: "remove",
				// Cleaned like the stored subjects and tags, so "Ｍaths" finds "Maths".
				subject: textRule({ max: 100, optional: true }),
				kind: { type: "enum", values: [...CONTENT_KINDS], optional: true },
				status: { type: "enum", values: [...CONTENT_STATUSES], optional: true },
				tag: textRule({ max: 50, optional: true }),
				q: textRule({ max: 100, optional: true }),
				mine: { type: "boolean", convert: true, optional: true },
				...PAGE_PARAMS,
			},
			handler(this: any, ctx: Ctx<ListParams>) {
				const user = currentUser(ctx);
				const { subject, kind, status, tag, q, mine } = ctx.params;
				const filter: Record<string, unknown> = { ...visibleItemsFilter(user) };
				if (subject) filter.subject = subject;
				if (kind) filter.kind = kind;
				if (status) filter.status = status;
				if (tag) filter.tags = tag;
				if (q) filter.title = { $regex: escapeRegex(q), $options: "i" };
				if (mine) filter.ownerId = user.id;
				return this.pageScoped(ctx, filter, ctx.params);
			},
		},

		get: {
			rest: "GET /content-items/:id",
			params: { $$strict: "remove", id: ID },
			handler(this: any, ctx: Ctx<{ id: string }>) {
				return this.readable(ctx, ctx.params.id);
			},
		},

		update: {
			rest: "PATCH /content-items/:id",
			params: { id: ID, ...UPDATE_ITEM_PARAMS },
			async handler(this: any, ctx: Ctx<ContentPatch & { id: string }>) {
				const { id, ...patch } = ctx.params;
				const existing: StoredItem = await this.managed(ctx, id);
				if (existing.status === "archived") throw conflict("An archived item cannot be edited; restore it to draft first");
				const next = checkItem(applyUpdate(existing, patch), { status: "draft", origin: existing.origin });
				if (existing.status === "validated") await this.assertNotInUse(ctx, id, "edited (an edit takes it back to draft)");
				// The stored version is the precondition: a concurrent edit or status change makes this one a 409.
				const guard = { ...manageGuard(currentUser(ctx)), status: existing.status, updatedAt: new Date(existing.updatedAt) };
				const unset = Object.fromEntries(
					["explanation", "unit"].filter(f => (next as any)[f] === undefined && (existing as any)[f] !== undefined).map(f => [f, 1]),
				);
				return this.guardedUpdate(ctx, id, { $set: next, ...(Object.keys(unset).length ? { $unset: unset } : {}) }, guard);
			},
		},

		setStatus: {
			rest: "POST /content-items/:id/status",
			params: { $$strict: "remove", id: ID, ...TRANSITION_PARAMS },
			async handler(this: any, ctx: Ctx<{ id: string; status: ContentStatus }>) {
				const { id, status } = ctx.params;
				const existing: StoredItem = await this.managed(ctx, id);
				assertTransition(existing.status, status);
				if (existing.status === "validated") await this.assertNotInUse(ctx, id, `moved to ${status}`);
				return this.guardedUpdate(ctx, id, { $set: { status } }, { ...manageGuard(currentUser(ctx)), status: existing.status });
			},
		},

		remove: {
			rest: "DELETE /content-items/:id",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const existing: StoredItem = await this.managed(ctx, ctx.params.id);
				if (existing.status !== "draft") throw conflict(`Only a draft can be deleted; archive a ${existing.status} item instead`);
				await this.assertNotInUse(ctx, ctx.params.id, "deleted");
				try {
					return await this.removeScoped(ctx, ctx.params.id, { ...manageGuard(currentUser(ctx)), status: "draft" });
				} catch (err: any) {
					if (err?.code === 404) throw conflict("The item changed meanwhile; reload it and try again");
					throw err;
				}
			},
		},

		import: {
			rest: "POST /content-items/import",
			params: {
				$$strict: "remove",
				format: { type: "enum", values: ["csv", "json"] },
				// parseImport answers 413 above MAX_IMPORT_CHARS; this bound only keeps absurd bodies out of it
				text: { type: "string", min: 1, max: MAX_IMPORT_CHARS * 2 },
				mode: { type: "enum", values: ["valid_only", "all_or_nothing"] },
				subject: textRule({ max: 100, optional: true }),
			},
			async handler(this: any, ctx: Ctx<{ format: ImportFormat; text: string; mode: "valid_only" | "all_or_nothing"; subject?: string }>) {
				const { format, text, mode, subject } = ctx.params;
				const { items, errors } = parseImport(format, text, subject === undefined ? {} : { defaultSubject: subject });
				if (errors.length > 0 && (mode === "all_or_nothing" || items.length === 0)) throw importRejected(errors);
				const created = await this.insertImport(ctx, items.map(i => i.item));
				ctx.meta.$statusCode = 201;
				return { created, errors };
			},
		},

		/** A draft written by the AI block for the calling teacher (origin ai_generated): checked like any item. */
		createGenerated: {
			params: CREATE_ITEM_PARAMS,
			async handler(this: any, ctx: Ctx<ContentInput>) {
				const item = checkItem(ctx.params, { origin: "ai_generated", status: "draft" });
				return this.insertScoped(ctx, { ...item, ownerId: currentUser(ctx).id });
			},
		},

		resolveMany: {
			params: { $$strict: "remove", ids: { type: "array", max: 2000, items: ID } },
			async handler(this: any, ctx: Ctx<{ ids: string[] }>) {
				const found: StoredItem[] = await this.toJSON(ctx, await this.byIdsScoped(ctx, ctx.params.ids));
				const byId = new Map(found.map(item => [item.id, item]));
				return ctx.params.ids.map(id => byId.get(id)).filter(item => item !== undefined);
			},
		},
	},

	methods: {
		/** An item the caller may read; another teacher's draft looks like a missing item. */
		async readable(this: any, ctx: Ctx<any>, id: string): Promise<StoredItem> {
			const item: StoredItem = await this.getScoped(ctx, id);
			if (!canReadItem(currentUser(ctx), item)) throw notFound("ContentItem", id);
			return item;
		},

		/** An item the caller may change: 404 when they cannot even read it, 403 when it is someone else's. */
		async managed(this: any, ctx: Ctx<any>, id: string): Promise<StoredItem> {
			const item = await this.readable(ctx, id);
			if (!canManageItem(currentUser(ctx), item)) throw forbidden("Only the item's author or a school admin may change it");
			return item;
		},

		async assertNotInUse(this: any, ctx: Ctx<any>, id: string, what: string): Promise<void> {
			const { inUse } = (await ctx.call("paths.itemInUse", { itemIds: [id] })) as { inUse: string[] };
			if (inUse.includes(id)) throw conflict(`This item is used by an active path and cannot be ${what}`, undefined, { itemId: id });
		},

		/** updateScoped with a precondition; a precondition that no longer holds is a 409, not a 404. */
		async guardedUpdate(this: any, ctx: Ctx<any>, id: string, update: Record<string, unknown>, guard: Record<string, unknown>) {
			try {
				return await this.updateScoped(ctx, id, update, guard);
			} catch (err: any) {
				if (err?.code === 404) throw conflict("The item changed meanwhile; reload it and try again");
				throw err;
			}
		},

		/**
		 * One insertMany for the whole import. If it fails part-way, the items it did write are deleted
		 * (they carry this import's id), so the teacher is never left with half an import.
		 */
		async insertImport(this: any, ctx: Ctx<any>, items: Item[]): Promise<string[]> {
			const user = currentUser(ctx);
			const importId = randomUUID();
			const docs = items.map(item => this.tenantFilter(ctx, { ...item, ownerId: user.id, importId }));
			try {
				const inserted = await this.model.insertMany(docs, { ordered: true });
				return inserted.map((doc: any) => String(doc._id));
			} catch (err) {
				await this.model.deleteMany(this.tenantFilter(ctx, { importId }));
				throw err;
			}
		},
	},
};

export default ContentService;

/**
 * Data rights (issue 16, docs/DATA_RIGHTS.md): export of a person's data, erasure of a person or of a
 * school that leaves, the register of erasures, and the daily job (closures that came due, retention).
 *
 * Export: every part (services/ops/data-rights-parts.ts) is asked for its sections page by page
 * (`<part>.exportPersonalData`), and the archive is a ZIP of JSON files (export-archive.ts). A member
 * exports their own data; a school admin exports a student's (the school answers for its students).
 *
 * Erasure of a user: the account stops at once (users.eraseAccount: nothing personal left in it, sessions
 * ended, seat given back), the request goes in the register, then the durable message
 * `users.user.erasure_requested` {id, erasureId, schoolId, userId} reaches every part, each in its own
 * consumer group, even one that is down at the time (JetStream keeps it). Each part deletes or
 * anonymises what it holds and confirms (`erasurePartDone`); once all have, the request is completed and
 * the identifiers it held for them are removed.
 *
 * Erasure of a school: a closure is scheduled (by its admin, or platform staff), the school keeps working
 * and may export or cancel during SCHOOL_ERASURE_GRACE_DAYS; then the daily job sends
 * `users.school.erasure_requested` {id, erasureId, schoolId} and every part deletes the school's data, but
 * for what the law makes us keep (invoices, credit notes, payments: RETENTION_INVOICE_YEARS), anonymised.
 */
import { Readable } from "node:stream";
import cron, { type ScheduledTask } from "node-cron";
import mongoose from "mongoose";
import { settings } from "../../config/env.js";
import { ErasureRequest } from "../../models/erasure-request.model.js";
import { leaseModel } from "../../models/lease.model.js";
import { SchoolClosure } from "../../models/school-closure.model.js";
import { dbMixin, PAGE_PARAMS, type PageParams } from "../shared/db.mixin.js";
import { publishDurable } from "../shared/durable.js";
import { ClientError, conflict, ERR, forbidden, notFound } from "../shared/errors.js";
import { callerSchoolId, currentUser, hasRole, SYSTEM, type Ctx } from "../shared/identity.js";
import { withLease } from "../shared/lease.js";
import { ID } from "../shared/params.js";
import { RETENTION_CHANNEL, SCHOOL_ERASURE_CHANNEL, USER_ERASURE_CHANNEL, type SubjectIdentifiers } from "../shared/personal-data.js";
import type { ServiceDef } from "../shared/service.js";
import { PERSONAL_DATA_PARTS } from "./data-rights-parts.js";
import { buildArchive, type ExportSection } from "./export-archive.js";

const DataRightsLease = leaseModel("DataRightsLease");
const FIELDS = ["id", "schoolId", "kind", "userId", "requestedBy", "status", "expectedParts", "parts", "completedAt", "createdAt"];
/** A page of one part can hold a few hundred records; a student's year of reviews is many pages. */
const PART_TIMEOUT_MS = 30_000;

interface Target {
	id: string;
	schoolId: string;
	roles: string[];
	status: string;
}

const oid = (id: string) => new mongoose.Types.ObjectId(id);

const DataRightsService: ServiceDef = {
	name: "dataRights",
	settings: { rest: "/" },
	mixins: [dbMixin(ErasureRequest, { fields: FIELDS })],

	actions: {
		exportMine: {
			rest: "GET /me/data-export",
			params: { $$strict: "remove" },
			async handler(this: any, ctx: Ctx) {
				const me = currentUser(ctx);
				return this.archive(ctx, { id: me.id, schoolId: callerSchoolId(ctx) });
			},
		},

		exportUser: {
			rest: "GET /users/:id/data-export",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const target = await this.memberOfMySchool(ctx, ctx.params.id);
				if (!target.roles.includes("student")) throw forbidden("A school admin exports a student's data; other members export their own", ERR.FORBIDDEN);
				return this.archive(ctx, target);
			},
		},

		eraseMine: {
			rest: "POST /me/erasure",
			params: { $$strict: "remove", password: { type: "string", min: 1, max: 1000 } },
			async handler(this: any, ctx: Ctx<{ password: string }>) {
				const me = currentUser(ctx);
				const schoolId = callerSchoolId(ctx);
				try {
					await ctx.call("users.verifyCredentials", { userId: me.id, password: ctx.params.password });
				} catch (err: any) {
					if (err?.type === ERR.INVALID_CREDENTIALS) throw forbidden("The password is wrong", ERR.INVALID_CREDENTIALS);
					throw err;
				}
				ctx.meta.$statusCode = 202;
				return this.eraseUserData(ctx, { id: me.id, schoolId });
			},
		},

		eraseUser: {
			rest: "POST /users/:id/erasure",
			params: { $$strict: "remove", id: ID, confirm: { type: "equal", value: true, strict: true } },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				if (ctx.params.id === currentUser(ctx).id) throw conflict("Erase your own account with POST /api/me/erasure");
				const target = await this.memberOfMySchool(ctx, ctx.params.id);
				ctx.meta.$statusCode = 202;
				return this.eraseUserData(ctx, target);
			},
		},

		erasures: {
			rest: "GET /data-rights/erasures",
			params: { $$strict: "remove", status: { type: "enum", values: ["pending", "completed"], optional: true }, ...PAGE_PARAMS },
			async handler(this: any, ctx: Ctx<PageParams & { status?: string }>) {
				const filter: Record<string, unknown> = ctx.params.status ? { status: ctx.params.status } : {};
				const page = await this.pageScoped(ctx, filter, ctx.params, { createdAt: -1, _id: -1 });
				return page;
			},
		},

		erasure: {
			rest: "GET /data-rights/erasures/:id",
			params: { $$strict: "remove", id: ID },
			handler(this: any, ctx: Ctx<{ id: string }>) {
				return this.getScoped(ctx, ctx.params.id);
			},
		},

		closure: {
			rest: "GET /school/closure",
			params: { $$strict: "remove" },
			async handler(this: any, ctx: Ctx) {
				const doc = await SchoolClosure.findOne({ schoolId: oid(callerSchoolId(ctx)) });
				return doc ? this.closureView(doc) : { status: "none" };
			},
		},

		requestClosure: {
			rest: "POST /school/closure",
			params: { $$strict: "remove", schoolCode: { type: "string", min: 1, max: 20 } },
			async handler(this: any, ctx: Ctx<{ schoolCode: string }>) {
				const schoolId = callerSchoolId(ctx);
				const school = (await ctx.call("schools.resolve", { id: schoolId })) as { code: string };
				// Typing the school's code says the admin means this school, not a slip of the mouse.
				if (school.code.toUpperCase() !== ctx.params.schoolCode.trim().toUpperCase()) {
					throw new ClientError("Type your school's code to confirm the closure", 422, ERR.VALIDATION, [{ field: "schoolCode", message: "does not match the school's code" }]);
				}
				ctx.meta.$statusCode = 202;
				return this.scheduleClosure(ctx, schoolId, settings().ops.schoolErasureGraceDays);
			},
		},

		cancelClosure: {
			rest: "DELETE /school/closure",
			params: { $$strict: "remove" },
			async handler(this: any, ctx: Ctx) {
				const doc = await SchoolClosure.findOneAndUpdate(
					{ schoolId: oid(callerSchoolId(ctx)), status: "scheduled" },
					{ $set: { status: "cancelled", cancelledAt: new Date() } },
					{ new: true },
				);
				if (!doc) throw notFound("SchoolClosure");
				return this.closureView(doc);
			},
		},

		/** Platform staff close a school (the contract ended); `graceDays` 0 erases at the next daily run. */
		closeSchool: {
			rest: "POST /schools/:id/closure",
			params: { $$strict: "remove", id: ID, graceDays: { type: "number", integer: true, min: 0, max: 365, optional: true } },
			async handler(this: any, ctx: Ctx<{ id: string; graceDays?: number }>) {
				await ctx.call("schools.resolve", { id: ctx.params.id });
				ctx.meta.$statusCode = 202;
				return this.scheduleClosure(ctx, ctx.params.id, ctx.params.graceDays ?? settings().ops.schoolErasureGraceDays);
			},
		},

		/** The daily job (DATA_RIGHTS_CRON, one node at a time): closures that came due, retention, the register's own retention. */
		runDue: {
			async handler(this: any, ctx: Ctx) {
				const due = await SchoolClosure.find({ status: "scheduled", eraseAfter: { $lte: new Date() } }).limit(100);
				const started: string[] = [];
				for (const closure of due) {
					started.push(String(closure.schoolId));
					await this.startSchoolErasure(ctx, String(closure.schoolId), closure.requestedBy);
				}
				const day = new Date().toISOString().slice(0, 10);
				await publishDurable(this.broker, RETENTION_CHANNEL, { id: `${RETENTION_CHANNEL}:${day}:${Date.now()}`, schoolId: null });
				const cutoff = new Date(Date.now() - settings().ops.erasureRecordRetentionYears * 365 * 86_400_000);
				const purged = await ErasureRequest.deleteMany({ status: "completed", completedAt: { $lt: cutoff } });
				return { schoolsErased: started, registerPurged: purged.deletedCount ?? 0 };
			},
		},

		/** A part confirms its share of an erasure; the last one completes it and removes the identifiers. */
		erasurePartDone: {
			params: { $$strict: "remove", erasureId: ID, part: { type: "string", min: 1, max: 60 }, counts: { type: "object", optional: true } },
			async handler(this: any, ctx: Ctx<{ erasureId: string; part: string; counts?: Record<string, number> }>) {
				const { erasureId, part, counts } = ctx.params;
				await ErasureRequest.updateOne({ _id: erasureId, "parts.part": { $ne: part } }, { $push: { parts: { part, at: new Date(), counts: counts ?? {} } } });
				const doc = await ErasureRequest.findById(erasureId);
				if (!doc) return { completed: false };
				const done = new Set(doc.parts.map((p: any) => p.part));
				if (doc.status === "pending" && doc.expectedParts.every((p: string) => done.has(p))) {
					await ErasureRequest.updateOne({ _id: erasureId, status: "pending" }, { $set: { status: "completed", completedAt: new Date(), subject: null } });
					if (doc.kind === "school") await SchoolClosure.updateOne({ schoolId: doc.schoolId, status: "erasing" }, { $set: { status: "erased" } });
					this.logger.info(`Erasure ${erasureId} (${doc.kind}) completed by every part`);
					return { completed: true };
				}
				return { completed: doc.status === "completed" };
			},
		},

		/** The person's identifiers, for the parts that look for them in text; nothing once the erasure completed. */
		erasureSubject: {
			params: { $$strict: "remove", erasureId: ID },
			async handler(this: any, ctx: Ctx<{ erasureId: string }>): Promise<SubjectIdentifiers> {
				const doc = await ErasureRequest.findById(ctx.params.erasureId, { subject: 1 });
				const s = doc?.subject ?? {};
				return { email: s.email ?? null, username: s.username ?? null, firstName: s.firstName ?? null, lastName: s.lastName ?? null };
			},
		},
	},

	methods: {
		/** A member of the caller's school (another school's id answers 404 like a missing one). */
		async memberOfMySchool(this: any, ctx: Ctx, id: string): Promise<Target> {
			const user = (await ctx.call("users.get", { id })) as Target;
			if (!user || user.status === "erased") throw notFound("User", id);
			return { id: user.id, schoolId: callerSchoolId(ctx), roles: user.roles, status: user.status };
		},

		async archive(this: any, ctx: Ctx, target: { id: string; schoolId: string }) {
			const sections: ExportSection[] = [];
			// The person's email, for the parts that name them by it (billing contact).
			const email = ((await ctx.call("users.resolveMany", { ids: [target.id] }).catch(() => [])) as { email?: string | null }[])[0]?.email ?? undefined;
			for (const part of PERSONAL_DATA_PARTS) {
				let cursor: { section?: string; after?: string } | null = {};
				const rowsBySection = new Map<string, unknown[]>();
				while (cursor) {
					const page: { section: string | null; rows: unknown[]; next: { section: string; after?: string } | null } = await ctx.call(
						`${part}.exportPersonalData`,
						{ userId: target.id, schoolId: target.schoolId, ...(email ? { email } : {}), ...cursor },
						{ timeout: PART_TIMEOUT_MS },
					);
					if (page.section) rowsBySection.set(page.section, [...(rowsBySection.get(page.section) ?? []), ...page.rows]);
					cursor = page.next;
				}
				for (const [section, rows] of rowsBySection) sections.push({ part, section, rows });
			}
			const me = currentUser(ctx);
			const { zip } = buildArchive(sections, { generatedAt: new Date().toISOString(), subject: { userId: target.id, schoolId: target.schoolId }, requestedBy: me.id });
			ctx.meta.$responseType = "application/zip";
			ctx.meta.$responseHeaders = { "Content-Disposition": `attachment; filename="personal-data-${target.id}-${new Date().toISOString().slice(0, 10)}.zip"` };
			// A stream: moleculer sends it in chunks, whatever its size, between nodes.
			return Readable.from([Buffer.from(zip)]);
		},

		async eraseUserData(this: any, ctx: Ctx, target: { id: string; schoolId: string }) {
			const pending = await ErasureRequest.findOne({ userId: oid(target.id), status: "pending" });
			if (pending) return this.toJSON(ctx, pending);
			const request = await ErasureRequest.create({
				schoolId: target.schoolId,
				kind: "user",
				userId: target.id,
				requestedBy: currentUser(ctx).id,
				expectedParts: [...PERSONAL_DATA_PARTS],
			});
			let identifiers: SubjectIdentifiers | null;
			try {
				({ identifiers } = (await ctx.call("users.eraseAccount", { userId: target.id, schoolId: target.schoolId })) as { identifiers: SubjectIdentifiers | null });
			} catch (err) {
				await ErasureRequest.deleteOne({ _id: request._id });
				throw err;
			}
			if (identifiers) await ErasureRequest.updateOne({ _id: request._id }, { $set: { subject: identifiers } });
			await publishDurable(this.broker, USER_ERASURE_CHANNEL, {
				id: `${USER_ERASURE_CHANNEL}:${request._id}`,
				erasureId: String(request._id),
				schoolId: target.schoolId,
				userId: target.id,
			});
			this.logger.info(`Erasure ${request._id} of user ${target.id} requested`, { schoolId: target.schoolId });
			return this.toJSON(ctx, await ErasureRequest.findById(request._id));
		},

		async scheduleClosure(this: any, ctx: Ctx, schoolId: string, graceDays: number) {
			const now = new Date();
			const existing = await SchoolClosure.findOne({ schoolId: oid(schoolId) });
			if (existing && ["erasing", "erased"].includes(existing.status)) throw conflict("This school's data is already being erased");
			const doc = await SchoolClosure.findOneAndUpdate(
				{ schoolId: oid(schoolId), status: { $in: ["scheduled", "cancelled"] } },
				{ $set: { status: "scheduled", requestedBy: currentUser(ctx).id, requestedAt: now, eraseAfter: new Date(now.getTime() + graceDays * 86_400_000), cancelledAt: null } },
				{ new: true, upsert: !existing },
			);
			if (!doc) throw conflict("This school's closure changed meanwhile, try again");
			return this.closureView(doc);
		},

		async startSchoolErasure(this: any, ctx: Ctx, schoolId: string, requestedBy: string) {
			const claimed = await SchoolClosure.findOneAndUpdate({ schoolId: oid(schoolId), status: "scheduled" }, { $set: { status: "erasing" } }, { new: true });
			if (!claimed) return;
			const request = await ErasureRequest.create({ schoolId, kind: "school", userId: null, requestedBy, expectedParts: [...PERSONAL_DATA_PARTS] });
			await SchoolClosure.updateOne({ _id: claimed._id }, { $set: { erasureId: request._id } });
			// Nobody works in a school being erased: every session ends now.
			await ctx.call("auth.revokeSchoolSessions", { schoolId }).catch((err: unknown) => this.logger.warn(`Ending the sessions of school ${schoolId} failed`, err));
			await publishDurable(this.broker, SCHOOL_ERASURE_CHANNEL, { id: `${SCHOOL_ERASURE_CHANNEL}:${request._id}`, erasureId: String(request._id), schoolId });
			this.logger.info(`Erasure ${request._id} of school ${schoolId} started`);
		},

		closureView(doc: any) {
			const json = doc.toJSON();
			return { status: json.status, requestedAt: json.requestedAt, eraseAfter: json.eraseAfter, cancelledAt: json.cancelledAt, erasureId: json.erasureId ? String(json.erasureId) : null };
		},
	},

	started(this: any) {
		const schedule = settings().ops.dataRightsCron;
		if (!schedule) return;
		this.job = cron.schedule(schedule, () => {
			withLease(DataRightsLease, "data-rights-daily", () => this.broker.call("dataRights.runDue", {}, { meta: { user: { ...SYSTEM, roles: [...SYSTEM.roles] } } }), { waitMs: 0, leaseMs: 10 * 60_000 }).catch(
				(err: unknown) => this.logger.warn("The daily data-rights job did not run here", (err as Error)?.message ?? err),
			);
		}) as ScheduledTask;
	},

	stopped(this: any) {
		this.job?.stop();
	},
};

export default DataRightsService;

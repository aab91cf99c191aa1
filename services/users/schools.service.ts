/**
 * Schools: the tenants. Signup creates a school with its first admin and its subscription as an
 * idempotent sequence with compensation (no multi-document transactions): if a step fails, what the
 * earlier steps made is removed again, so no half-made school stays behind.
 */
import { School } from "../../models/school.model.js";
import { recordAudit } from "../shared/audit-trail.js";
import { dbMixin, PAGE_PARAMS, type Filter, type PageParams } from "../shared/db.mixin.js";
import { publishDurable } from "../shared/durable.js";
import { conflict, ERR, invalid, isDuplicateKey, notFound } from "../shared/errors.js";
import { callerSchoolId, currentUser, type Ctx } from "../shared/identity.js";
import { announceIdentityChange } from "../shared/live-identity.js";
import type { ServiceDef } from "../shared/service.js";
import { EMAIL_RULE } from "./account-keys.js";
import { PASSWORD_RULE } from "./password.js";
import { containsRegex, ID, LOCALE, PERSON_NAME, SEARCH } from "./rules.js";
import { openRateLimits } from "./rate-limits.js";
import { takeMailRequest } from "./request-throttle.js";
import { generateSchoolCode, normalizeSchoolCode } from "./school-code.js";
import { isValidTimezone } from "./timezone.js";
import { textRule } from "../shared/text-rules.js";
import { EXPORT_PARAMS, on } from "../shared/feed-export.js";
import { schoolCreatedMessage, userCreatedMessage } from "./users-feed.js";
import { schoolsPersonalData } from "./personal-data.js";

const SCHOOL_NAME = textRule({ min: 2, max: 120 });
const TIMEZONE = { type: "string", trim: true, min: 1, max: 64 } as const;
const SETTINGS_RULE = {
	type: "object",
	strict: true,
	props: {
		locale: { ...LOCALE, optional: true },
		weekStartsOn: { type: "number", integer: true, min: 0, max: 6, optional: true },
		chat: {
			type: "object",
			strict: true,
			optional: true,
			props: { studentsMayContact: { type: "enum", values: ["own_teachers", "all_teachers", "none"] } },
		},
		classes: {
			type: "object",
			strict: true,
			optional: true,
			props: { enrolment: { type: "enum", values: ["school_admins", "class_teachers"] } },
		},
	},
} as const;
/** Chances of 6 random characters colliding are tiny; a few retries make a clash practically impossible. */
const CODE_ATTEMPTS = 5;

interface SignupParams {
	school: { name: string; timezone: string };
	admin: { email: string; password: string; firstName: string; lastName: string };
}

function assertTimezone(field: string, zone: string): void {
	if (!isValidTimezone(zone)) throw invalid(field, `"${zone}" is not an IANA time zone (e.g. Europe/Paris)`);
}

const SchoolsService: ServiceDef = {
	name: "schools",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [schoolsPersonalData, 
		dbMixin(School, {
			fields: ["id", "name", "code", "timezone", "status", "settings", "suspendedAt", "suspendedReason", "createdAt", "updatedAt"],
			tenant: false,
		}),
	],

	actions: {
		signup: {
			rest: "POST /schools/signup",
			params: {
				$$strict: "remove",
				school: { type: "object", strict: "remove", props: { name: SCHOOL_NAME, timezone: TIMEZONE } },
				admin: {
					type: "object",
					strict: "remove",
					props: { email: EMAIL_RULE, password: PASSWORD_RULE, firstName: PERSON_NAME, lastName: PERSON_NAME },
				},
			},
			async handler(this: any, ctx: Ctx<SignupParams>) {
				const { school: input, admin: adminInput } = ctx.params;
				assertTimezone("school.timezone", input.timezone);
				// A signup mails the address it names: throttled per client address and per email.
				await takeMailRequest(this.limits, "signup", ctx.meta.clientIp, adminInput.email);
				const { available } = await ctx.call<{ available: boolean }, { email: string }>("users.emailAvailable", { email: adminInput.email });
				if (!available) throw conflict("This email already has an account", ERR.EMAIL_TAKEN, { field: "admin.email" });

				const school = await this.createSchool(ctx, input);
				const schoolId = school.id as string;
				let admin: any;
				let subscribed = false;
				try {
					admin = await ctx.call("users.createAccount", {
						schoolId,
						...adminInput,
						roles: ["school_admin"],
						emailVerified: false,
						announce: false,
					});
					await ctx.call("subscriptions.createForSchool", { schoolId });
					subscribed = true;
					// The mail is the one step that cannot be taken back, so it goes after what can still fail.
					await ctx.call("auth.issueEmailVerification", { userId: admin.id, schoolId, email: admin.email });
					await publishDurable(this.broker, "users.school.created", schoolCreatedMessage(school));
					await publishDurable(this.broker, "users.user.created", userCreatedMessage(admin));
				} catch (err) {
					await this.undoSignup(ctx, schoolId, admin?.id, subscribed);
					throw err;
				}
				this.entityChanged("created", school, ctx).catch(() => undefined);
				ctx.meta.$statusCode = 201;
				return { school: this.summary(school), admin: { id: admin.id, email: admin.email } };
			},
		},

		list: {
			rest: "GET /schools",
			params: { $$strict: "remove", status: { type: "enum", values: ["active", "suspended"], optional: true }, q: SEARCH, ...PAGE_PARAMS },
			async handler(this: any, ctx: Ctx<PageParams & { status?: string; q?: string }>) {
				const { status, q, page, pageSize } = ctx.params;
				const filter: Filter = {};
				if (status) filter.status = status;
				if (q) filter.$or = [{ name: containsRegex(q) }, { code: normalizeSchoolCode(q) }];
				// Platform staff only (permission matrix): schools are not tenant-owned, they are the tenants.
				return this.pageOf(ctx, filter, { page, pageSize }, { name: 1, _id: 1 });
			},
		},

		get: {
			rest: "GET /schools/:id",
			params: { id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				return this.toJSON(ctx, await this.byId(ctx.params.id));
			},
		},

		mine: {
			rest: "GET /school",
			async handler(this: any, ctx: Ctx) {
				return this.toJSON(ctx, await this.byId(callerSchoolId(ctx)));
			},
		},

		update: {
			rest: "PATCH /school",
			params: { $$strict: true, name: { ...SCHOOL_NAME, optional: true }, timezone: { ...TIMEZONE, optional: true }, settings: { ...SETTINGS_RULE, optional: true } },
			async handler(this: any, ctx: Ctx<{ name?: string; timezone?: string; settings?: Record<string, unknown> }>) {
				const schoolId = callerSchoolId(ctx);
				const { name, timezone, settings } = ctx.params;
				if (timezone !== undefined) assertTimezone("timezone", timezone);
				const set: Record<string, unknown> = {
					...(name !== undefined ? { name } : {}),
					...(timezone !== undefined ? { timezone } : {}),
					...Object.fromEntries(Object.entries(settings ?? {}).map(([k, v]) => [`settings.${k}`, v])),
				};
				if (Object.keys(set).length === 0) return this.toJSON(ctx, await this.byId(schoolId));
				const updated = await this.model.findOneAndUpdate({ _id: schoolId }, { $set: set }, { new: true, runValidators: true });
				if (!updated) throw notFound("School", schoolId);
				return this.changed(ctx, updated);
			},
		},

		suspend: {
			rest: "POST /schools/:id/suspend",
			params: { $$strict: "remove", id: ID, reason: textRule({ max: 500, min: 0, optional: true, multiline: true }) },
			async handler(this: any, ctx: Ctx<{ id: string; reason?: string }>) {
				const { id, reason } = ctx.params;
				const before = await this.byId(id);
				const updated = await this.model.findOneAndUpdate(
					{ _id: id },
					{ $set: { status: "suspended", suspendedAt: new Date(), suspendedReason: reason ?? null } },
					{ new: true },
				);
				if (!updated) throw notFound("School", id);
				// Every member's token, REST call and open socket on every node feels it at once.
				await announceIdentityChange(ctx, { schoolId: id, reason: "school_suspended" });
				// Idempotent steps: a retry after a failure here finishes the job.
				await ctx.call("auth.revokeSchoolSessions", { schoolId: id });
				await ctx.call("subscriptions.setStatus", { schoolId: id, status: "suspended" });
				await recordAudit(ctx, {
					schoolId: id,
					action: "school.suspended",
					targetType: "school",
					targetId: id,
					data: { ...(reason ? { reason } : {}), before: { status: before.status }, after: { status: updated.status } },
				});
				await publishDurable(this.broker, "users.school.suspended", {
					id: `users.school.suspended:${id}:${updated.suspendedAt.getTime()}`,
					schoolId: id,
					by: currentUser(ctx).id,
					...(reason ? { reason } : {}),
				});
				return this.changed(ctx, updated);
			},
		},

		reactivate: {
			rest: "POST /schools/:id/reactivate",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const { id } = ctx.params;
				const current = await this.byId(id);
				if (current.status === "active") return this.toJSON(ctx, current);
				await ctx.call("subscriptions.setStatus", { schoolId: id, status: "active" });
				const updated = await this.model.findOneAndUpdate({ _id: id }, { $set: { status: "active", suspendedAt: null, suspendedReason: null } }, { new: true });
				if (!updated) throw notFound("School", id);
				await announceIdentityChange(ctx, { schoolId: id, reason: "school_reactivated" });
				await recordAudit(ctx, {
					schoolId: id,
					action: "school.reactivated",
					targetType: "school",
					targetId: id,
					data: { before: { status: current.status }, after: { status: updated.status } },
				});
				await publishDurable(this.broker, "users.school.reactivated", { schoolId: id, by: currentUser(ctx).id });
				return this.changed(ctx, updated);
			},
		},

		/** Every school (or one) as `users.school.created` with its current state, for reporting's rebuild. */
		export: {
			params: { ...EXPORT_PARAMS, schoolId: { ...ID, optional: true } },
			async handler(this: any, ctx: Ctx<{ schoolId?: string; after?: string; limit?: number }>) {
				const { schoolId, after } = ctx.params;
				const limit = ctx.params.limit ?? 500;
				const where: Record<string, unknown> = schoolId ? { _id: schoolId } : {};
				const docs: any[] = await this.model.find(after ? { ...where, _id: { ...(schoolId ? { $eq: schoolId } : {}), $gt: after } } : where).sort({ _id: 1 }).limit(limit).lean();
				return {
					rows: on("users.school.created", docs.map(d => schoolCreatedMessage(d))),
					next: docs.length === limit ? String(docs[docs.length - 1]._id) : null,
					count: docs.length,
					...(after ? {} : { total: await this.model.countDocuments(where) }),
				};
			},
		},

		resolve: {
			params: { $$strict: "remove", id: { ...ID, optional: true }, code: { type: "string", trim: true, min: 1, max: 20, optional: true } },
			async handler(this: any, ctx: Ctx<{ id?: string; code?: string }>) {
				const { id, code } = ctx.params;
				if (!id && !code) throw invalid("id", "give an id or a code");
				const doc = id ? await this.model.findById(id) : await this.model.findOne({ code: normalizeSchoolCode(code!) });
				if (!doc) throw notFound("School", id ?? code);
				return this.summary(await this.toJSON(ctx, doc));
			},
		},
	},

	methods: {
		async byId(this: any, id: string) {
			const doc = await this.model.findById(id);
			if (!doc) throw notFound("School", id);
			return doc;
		},

		summary(school: any) {
			return { id: school.id, name: school.name, code: school.code, timezone: school.timezone, status: school.status };
		},

		async changed(this: any, ctx: Ctx, doc: any) {
			const json = await this.toJSON(ctx, doc);
			await this.entityChanged("updated", json, ctx, doc);
			return json;
		},

		/** Inserts the school under a fresh code, drawing again on the rare clash. */
		async createSchool(this: any, ctx: Ctx, input: SignupParams["school"]) {
			for (let attempt = 1; ; attempt++) {
				try {
					const created = await this.model.create({ name: input.name, timezone: input.timezone, code: generateSchoolCode(), status: "active" });
					return this.toJSON(ctx, created);
				} catch (err) {
					if (!isDuplicateKey(err) || attempt >= CODE_ATTEMPTS) throw err;
				}
			}
		},

		/** Removes, newest first, what a failed signup made. Each step is logged, not thrown: the original error matters. */
		async undoSignup(this: any, ctx: Ctx, schoolId: string, adminId: string | undefined, subscribed: boolean) {
			const step = (what: string, run: () => Promise<unknown>) =>
				run().catch((err: unknown) => this.logger.error(`Signup rollback: could not ${what}`, { schoolId, adminId }, err));
			if (subscribed) await step("remove the subscription", () => ctx.call("subscriptions.removeForSchool", { schoolId }));
			if (adminId) await step("remove the admin", () => ctx.call("users.removeAccount", { userId: adminId, schoolId }));
			await step("remove the school", () => this.model.deleteOne({ _id: schoolId }));
		},
	},

	async started(this: any) {
		this.limits = await openRateLimits((message, detail) => this.logger.warn(message, detail));
	},

	async stopped(this: any) {
		await this.limits?.close();
	},
};

export default SchoolsService;

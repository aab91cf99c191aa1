/**
 * Users: accounts of platform staff and school members, their profiles, roles and status.
 * Every email is unique on the platform and every username unique in its school (see
 * account-keys.ts). Seats: teachers and students take one of the school's subscription while active.
 */
import mongoose from "mongoose";
import { ASSIGNABLE_ROLES, SCHOOL_ROLES, STAFF_ROLES, type Role } from "../../config/roles.js";
import { UserLease } from "../../models/lease.model.js";
import { User } from "../../models/user.model.js";
import { recordAudit } from "../shared/audit-trail.js";
import { parseCsv } from "../shared/csv.js";
import { dbMixin, PAGE_PARAMS, type Filter, type PageParams } from "../shared/db.mixin.js";
import { publishDurable } from "../shared/durable.js";
import { ClientError, conflict, ERR, forbidden, invalid, isDuplicateKey, notFound, unauthorized } from "../shared/errors.js";
import { callerSchoolId, currentUser, hasRole, type Ctx } from "../shared/identity.js";
import { announceIdentityChange } from "../shared/live-identity.js";
import { withLease } from "../shared/lease.js";
import type { ServiceDef } from "../shared/service.js";
import { accountKeys, emailKey, EMAIL_RULE, normalizeEmail, usernameKey, USERNAME_RULE } from "./account-keys.js";
import { mapBounded } from "../shared/bounded.js";
import { hashPassword, PASSWORD_RULE, verifyAgainstDummy, verifyPassword } from "./password.js";
import { studentProfileSet, teacherProfileSet, type StudentProfilePatch } from "./profile-update.js";
import { containsRegex, ID, LOCALE, PERSON_NAME, SEARCH, STUDENT_ACCOMMODATIONS, STUDENT_LEVELS, STUDENT_PREFERENCES, TEACHER_PROFILE } from "./rules.js";
import { holdsSeat, seatDelta } from "./seats.js";
import { checkStudentRows, STUDENT_CSV_DESCRIPTION, type ImportProblem, type StudentRow } from "./student-import.js";
import { EXPORT_PARAMS, exportPage, on, type ExportParams } from "../shared/feed-export.js";
import { userCreatedMessage } from "./users-feed.js";
import { erasedAccount, usersPersonalData } from "./personal-data.js";

const PUBLIC_FIELDS = [
	"id", "schoolId", "email", "username", "firstName", "lastName", "locale", "roles", "status",
	"emailVerified", "studentProfile", "teacherProfile", "suspendedAt", "lastLoginAt", "createdAt", "updatedAt",
];
/** What a teacher may not see of colleagues and students: account administration details. */
const ADMIN_ONLY_FIELDS = ["emailVerified", "suspendedAt", "lastLoginAt", "locale"];
/** Roles a teacher can look up: the people they teach with and teach. */
const TEACHER_VISIBLE_ROLES = ["teacher", "student"];
/**
 * Password hashing runs in libuv's thread pool (4 threads unless UV_THREADPOOL_SIZE says otherwise):
 * as many hashes in flight as it has threads keeps every core busy, more would only queue there and
 * delay other requests' hashing (logins) behind an import.
 */
const HASH_CONCURRENCY = Math.max(1, Number(process.env.UV_THREADPOOL_SIZE) || 4);
const ANNOUNCE_CONCURRENCY = 16;
/** An import of a few thousand students hashes for tens of seconds (about 20 ms per password per core). */
const IMPORT_TIMEOUT_MS = 180_000;
/** Logins users.resolveLogins takes per list and call. */
const RESOLVE_MAX = 1000;

interface NewAccount {
	schoolId: string | null;
	email?: string | null;
	username?: string | null;
	password: string;
	firstName: string;
	lastName: string;
	roles: Role[];
	emailVerified?: boolean;
}

type CredentialParams = { password: string; email?: string; schoolId?: string; username?: string; userId?: string };

const ROLES_RULE = { type: "array", min: 1, max: 3, unique: true, items: { type: "enum", values: [...ASSIGNABLE_ROLES] } } as const;
/** Platform staff name the school of the member they act on; a school admin's own school always wins. */
const STAFF_SCHOOL = { ...ID, optional: true } as const;
/** What the audit log keeps of an account before and after a change of roles or status. */
const accountFacts = (doc: { roles: string[]; status: string }) => ({ roles: [...doc.roles].sort(), status: doc.status });

const UsersService: ServiceDef = {
	name: "users",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [usersPersonalData, dbMixin(User, { fields: PUBLIC_FIELDS })],

	actions: {
		/** The school's accounts as `users.user.created` with their current roles and status (reporting rebuilds from them). */
		export: {
			params: EXPORT_PARAMS,
			handler(this: any, ctx: Ctx<ExportParams>) {
				return exportPage(this.model, ctx.params, {}, (doc: any) => on("users.user.created", [userCreatedMessage(doc, true)]), { roles: 1, status: 1, schoolId: 1, createdAt: 1, updatedAt: 1 });
			},
		},

		me: {
			rest: "GET /me",
			async handler(this: any, ctx: Ctx) {
				return this.toJSON(ctx, await this.ownDocument(ctx));
			},
		},

		updateMe: {
			rest: "PATCH /me",
			params: {
				$$strict: true,
				firstName: { ...PERSON_NAME, optional: true },
				lastName: { ...PERSON_NAME, optional: true },
				locale: { ...LOCALE, optional: true, nullable: true },
				studentProfile: {
					type: "object",
					optional: true,
					strict: true,
					props: { levels: { ...STUDENT_LEVELS, optional: true }, preferences: { ...STUDENT_PREFERENCES, optional: true } },
				},
				teacherProfile: { ...TEACHER_PROFILE, optional: true },
			},
			async handler(this: any, ctx: Ctx<{ firstName?: string; lastName?: string; locale?: string | null; studentProfile?: StudentProfilePatch; teacherProfile?: { subjects?: string[] } }>) {
				const me = await this.ownDocument(ctx);
				const { firstName, lastName, locale, studentProfile, teacherProfile } = ctx.params;
				// Accommodations are decided by the school, so a student's own patch cannot carry them (strict schema above).
				if (studentProfile && !me.roles.includes("student")) throw invalid("studentProfile", "only students have a student profile");
				if (teacherProfile && !me.roles.includes("teacher")) throw invalid("teacherProfile", "only teachers have a teacher profile");
				const set: Record<string, unknown> = {
					...(firstName !== undefined ? { firstName } : {}),
					...(lastName !== undefined ? { lastName } : {}),
					...(locale !== undefined ? { locale } : {}),
					...(studentProfile ? studentProfileSet(studentProfile) : {}),
					...(teacherProfile ? teacherProfileSet(teacherProfile) : {}),
				};
				if (Object.keys(set).length === 0) return this.toJSON(ctx, me);
				const updated = await this.model.findOneAndUpdate({ _id: me._id }, { $set: set }, { new: true, runValidators: true });
				if (!updated) throw notFound("User", String(me._id));
				return this.changed(ctx, updated);
			},
		},

		list: {
			rest: "GET /users",
			params: {
				$$strict: "remove",
				role: { type: "enum", values: [...SCHOOL_ROLES], optional: true },
				status: { type: "enum", values: ["active", "suspended"], optional: true },
				q: SEARCH,
				...PAGE_PARAMS,
			},
			async handler(this: any, ctx: Ctx<PageParams & { role?: Role; status?: string; q?: string }>) {
				const { role, status, q, page, pageSize } = ctx.params;
				const and: Filter[] = [this.visibleTo(ctx)];
				if (role) and.push({ roles: role });
				// Erased accounts are tombstones (issue 16): never listed.
				and.push({ status: status ?? { $ne: "erased" } });
				if (q) {
					const re = containsRegex(q);
					and.push({ $or: [{ firstName: re }, { lastName: re }, { email: re }, { username: re }] });
				}
				const result = await this.pageScoped(ctx, { $and: and }, { page, pageSize }, { lastName: 1, firstName: 1, _id: 1 });
				return { ...result, rows: this.forViewer(ctx, result.rows) };
			},
		},

		get: {
			rest: "GET /users/:id",
			params: { id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				return this.forViewer(ctx, await this.getScoped(ctx, ctx.params.id, this.visibleTo(ctx)));
			},
		},

		createStudent: {
			rest: "POST /users/students",
			params: {
				$$strict: "remove",
				username: USERNAME_RULE,
				password: PASSWORD_RULE,
				firstName: PERSON_NAME,
				lastName: PERSON_NAME,
			},
			async handler(this: any, ctx: Ctx<{ username: string; password: string; firstName: string; lastName: string }>) {
				const schoolId = callerSchoolId(ctx);
				const account = { ...ctx.params, schoolId, roles: ["student"] as Role[] };
				// Cheap refusal before a seat is taken; the unique index still decides under races.
				await this.assertUsernameFree(schoolId, account.username);
				await ctx.call("subscriptions.reserveSeats", { schoolId, count: 1 });
				let user: any;
				try {
					user = await this.createUser(ctx, account);
					await this.announceCreated(user);
				} catch (err) {
					if (user) await this.model.deleteOne({ _id: user.id, schoolId });
					await this.releaseSeats(ctx, schoolId, 1);
					throw err;
				}
				ctx.meta.$statusCode = 201;
				return user;
			},
		},

		importStudents: {
			rest: "POST /users/students/import",
			// For the OpenAPI document (gateway/openapi.ts); moleculer's typings do not know the key.
			...{ openapi: { summary: "Import students from a CSV file", description: STUDENT_CSV_DESCRIPTION } },
			// moleculer's typings omit the action-level `timeout` its timeout middleware reads.
			...{ timeout: IMPORT_TIMEOUT_MS },
			params: {
				$$strict: "remove",
				csv: { type: "string", min: 1, max: 2 * 1024 * 1024, description: "The file's text: header `username,firstName,lastName,password[,email]`, one student per line." },
				mode: {
					type: "enum",
					values: ["valid_only", "all_or_nothing"],
					optional: true,
					default: "valid_only",
					description: "`valid_only` creates the valid lines and reports the others; `all_or_nothing` creates nothing if any line is wrong.",
				},
			},
			async handler(this: any, ctx: Ctx<{ csv: string; mode: "valid_only" | "all_or_nothing" }>) {
				const schoolId = callerSchoolId(ctx);
				const strict = ctx.params.mode === "all_or_nothing";
				const checked = checkStudentRows(parseCsv(ctx.params.csv));
				const taken: ImportProblem[] = await this.takenInSchool(schoolId, checked.valid);
				const errors: ImportProblem[] = [...checked.errors, ...taken];
				const takenLines = new Set(taken.map(p => p.line));
				const rows: StudentRow[] = checked.valid.filter(r => !takenLines.has(r.line));
				if (strict && errors.length > 0) throw this.importRefused(errors);
				// 201 like the content import: the import ran (its `errors` list the rows left out).
				ctx.meta.$statusCode = 201;
				if (rows.length === 0) return { created: [], errors: this.byLine(errors) };

				await ctx.call("subscriptions.reserveSeats", { schoolId, count: rows.length });
				const docs = await mapBounded(rows, HASH_CONCURRENCY, row => this.newUserDoc({ ...row, schoolId, roles: ["student"] })).catch(async err => {
					await this.releaseSeats(ctx, schoolId, rows.length);
					throw err;
				});
				let created: any[] = [];
				let failed: ImportProblem[] = [];
				try {
					({ created, failed } = await this.insertImported(ctx, docs, rows));
				} catch (err) {
					await this.undoImport(ctx, schoolId, docs, rows.length);
					throw err;
				}
				if (strict && failed.length > 0) {
					// Someone took a name between the check and the write: undo the rows already made.
					await this.undoImport(ctx, schoolId, docs, rows.length);
					throw this.importRefused(failed);
				}
				if (failed.length > 0) await this.releaseSeats(ctx, schoolId, failed.length);
				await mapBounded(created, ANNOUNCE_CONCURRENCY, user => this.announceCreated(user));
				created.sort((a, b) => a.username.localeCompare(b.username));
				return { created, errors: this.byLine([...errors, ...failed]) };
			},
		},

		setRoles: {
			rest: "PATCH /users/:id/roles",
			params: { $$strict: "remove", id: ID, roles: ROLES_RULE, schoolId: STAFF_SCHOOL },
			async handler(this: any, ctx: Ctx<{ id: string; roles: Role[]; schoolId?: string }>) {
				const schoolId = this.actedOnSchool(ctx);
				this.assertNotSelf(ctx, "roles");
				const after = [...ctx.params.roles].sort();
				const target = await this.schoolDocument(ctx, ctx.params.id, schoolId);
				const before: string[] = [...target.roles];
				const demotesAdmin = before.includes("school_admin") && !after.includes("school_admin");
				const change = await this.guardingAdmins(schoolId, demotesAdmin, async () => {
					if (before.length === after.length && [...before].sort().every((r, i) => r === after[i])) return { unchanged: target };
					if (demotesAdmin) await this.assertAnotherAdmin(ctx, schoolId, target);

					const delta = target.status === "active" ? seatDelta(before, after) : 0;
					if (delta > 0) await ctx.call("subscriptions.reserveSeats", { schoolId, count: 1 });
					// `roles` and `status` as read in the filter: a concurrent change makes this one fail instead of overwriting it.
					const updated = await this.model.findOneAndUpdate(
						{ _id: target._id, schoolId, roles: before, status: target.status },
						// A new session version ends the access tokens that carry the old roles (live-identity.ts).
						{ $set: { roles: after }, $inc: { sessionVersion: 1 } },
						{ new: true, runValidators: true },
					);
					if (!updated) {
						if (delta > 0) await this.releaseSeats(ctx, schoolId, 1);
						throw conflict("The user's roles changed meanwhile, reload and try again");
					}
					if (delta < 0) await this.releaseSeats(ctx, schoolId, 1);
					return { updated };
				});
				if (change.unchanged) return this.toJSON(ctx, change.unchanged);
				const { updated } = change;
				await announceIdentityChange(ctx, { userId: String(updated._id), reason: "roles" });
				await this.revokeSessions(ctx, String(updated._id));
				await recordAudit(ctx, {
					schoolId,
					action: "user.roles.changed",
					targetType: "user",
					targetId: String(updated._id),
					data: { from: before, to: after, before: accountFacts(target), after: accountFacts(updated) },
				});
				await publishDurable(this.broker, "users.user.roleChanged", { schoolId, userId: String(updated._id), from: before, to: after, by: currentUser(ctx).id });
				return this.changed(ctx, updated);
			},
		},

		suspend: {
			rest: "POST /users/:id/suspend",
			params: { $$strict: "remove", id: ID, schoolId: STAFF_SCHOOL },
			async handler(this: any, ctx: Ctx<{ id: string; schoolId?: string }>) {
				const schoolId = this.actedOnSchool(ctx);
				this.assertNotSelf(ctx, "status");
				const target = await this.schoolDocument(ctx, ctx.params.id, schoolId);
				const suspendsAdmin = target.roles.includes("school_admin");
				const change = await this.guardingAdmins(schoolId, suspendsAdmin, async () => {
					if (target.status === "suspended") return { unchanged: target };
					if (suspendsAdmin) await this.assertAnotherAdmin(ctx, schoolId, target);
					// `status: "active"` and `roles` as read in the filter: a concurrent change makes this one miss.
					const updated = await this.model.findOneAndUpdate(
						{ _id: target._id, schoolId, status: "active", roles: target.roles },
						{ $set: { status: "suspended", suspendedAt: new Date() }, $inc: { sessionVersion: 1 } },
						{ new: true },
					);
					if (!updated) {
						const now = await this.schoolDocument(ctx, ctx.params.id, schoolId);
						// Someone else suspended them meanwhile and did the rest.
						if (now.status === "suspended") return { unchanged: now };
						throw conflict("The user's roles changed meanwhile, reload and try again");
					}
					if (holdsSeat(updated.roles)) await this.releaseSeats(ctx, schoolId, 1);
					return { updated };
				});
				if (change.unchanged) return this.toJSON(ctx, change.unchanged);
				const { updated } = change;
				await announceIdentityChange(ctx, { userId: String(updated._id), reason: "suspended" });
				await this.revokeSessions(ctx, String(updated._id));
				await recordAudit(ctx, {
					schoolId,
					action: "user.suspended",
					targetType: "user",
					targetId: String(updated._id),
					data: { before: accountFacts(target), after: accountFacts(updated) },
				});
				await publishDurable(this.broker, "users.user.suspended", { id: `users.user.suspended:${updated._id}:${updated.suspendedAt.getTime()}`, schoolId, userId: String(updated._id), by: currentUser(ctx).id });
				return this.changed(ctx, updated);
			},
		},

		reactivate: {
			rest: "POST /users/:id/reactivate",
			params: { $$strict: "remove", id: ID, schoolId: STAFF_SCHOOL },
			async handler(this: any, ctx: Ctx<{ id: string; schoolId?: string }>) {
				const schoolId = this.actedOnSchool(ctx);
				this.assertNotSelf(ctx, "status");
				// Adds an active member: no admin rule to keep, the seat and one conditional update are the guarantee.
				const change = await (async () => {
					const target = await this.schoolDocument(ctx, ctx.params.id, schoolId);
					if (target.status === "active") return { unchanged: target };
					const seat = holdsSeat(target.roles);
					if (seat) await ctx.call("subscriptions.reserveSeats", { schoolId, count: 1 });
					const updated = await this.model.findOneAndUpdate(
						{ _id: target._id, schoolId, status: "suspended", roles: target.roles },
						{ $set: { status: "active", suspendedAt: null }, $inc: { sessionVersion: 1 } },
						{ new: true },
					);
					if (!updated) {
						if (seat) await this.releaseSeats(ctx, schoolId, 1);
						return { unchanged: await this.schoolDocument(ctx, ctx.params.id, schoolId) };
					}
					return { updated, target };
				})();
				if (change.unchanged) return this.toJSON(ctx, change.unchanged);
				// Every node forgets the suspension now, so the member's next login works at once everywhere.
				await announceIdentityChange(ctx, { userId: String(change.updated._id), reason: "reactivated" });
				await recordAudit(ctx, {
					schoolId,
					action: "user.reactivated",
					targetType: "user",
					targetId: String(change.updated._id),
					data: { before: accountFacts(change.target), after: accountFacts(change.updated) },
				});
				await publishDurable(this.broker, "users.user.reactivated", { id: `users.user.reactivated:${change.updated._id}:${change.updated.updatedAt.getTime()}`, schoolId, userId: String(change.updated._id) });
				return this.changed(ctx, change.updated);
			},
		},

		updateStudentProfile: {
			rest: "PATCH /users/:id/student-profile",
			params: {
				$$strict: "remove",
				id: ID,
				levels: { ...STUDENT_LEVELS, optional: true },
				preferences: { ...STUDENT_PREFERENCES, optional: true },
				accommodations: { ...STUDENT_ACCOMMODATIONS, optional: true },
			},
			async handler(this: any, ctx: Ctx<StudentProfilePatch & { id: string }>) {
				const { id, ...patch } = ctx.params;
				const student = await this.getScoped(ctx, id, { roles: "student" });
				// A school admin looks after every student; a teacher only after the students of their classes.
				if (!hasRole(ctx.meta.user, "school_admin")) {
					const { teaches } = await ctx.call<{ teaches: boolean }, { teacherId: string; studentId: string }>("classes.teachesStudent", { teacherId: currentUser(ctx).id, studentId: id });
					if (!teaches) throw forbidden("You do not teach this student");
				}
				const set = studentProfileSet(patch);
				if (Object.keys(set).length === 0) return this.forViewer(ctx, student);
				return this.forViewer(ctx, await this.updateScoped(ctx, id, { $set: set }, { roles: "student" }));
			},
		},

		verifyCredentials: {
			params: {
				$$strict: "remove",
				password: { type: "string", min: 1, max: 1000 },
				email: { type: "string", max: 254, optional: true },
				schoolId: { ...ID, optional: true },
				username: { type: "string", max: 100, optional: true },
				userId: { ...ID, optional: true },
			},
			async handler(this: any, ctx: Ctx<CredentialParams>) {
				const { email, schoolId, username, userId, password } = ctx.params;
				const filter = email
					? { loginKey: emailKey(email) }
					: schoolId && username
						? { usernameKey: usernameKey(schoolId, username) }
						: userId
							? { _id: userId }
							: null;
				const doc = filter ? await this.model.findOne(filter) : null;
				const ok = doc ? await verifyPassword(password, doc.passwordHash) : await verifyAgainstDummy(password);
				if (!doc || !ok) throw unauthorized("Wrong credentials", ERR.INVALID_CREDENTIALS);
				return this.withSessionVersion(ctx, doc);
			},
		},

		createAccount: {
			params: {
				$$strict: "remove",
				schoolId: ID,
				email: { ...EMAIL_RULE, optional: true },
				username: { ...USERNAME_RULE, optional: true },
				password: PASSWORD_RULE,
				firstName: PERSON_NAME,
				lastName: PERSON_NAME,
				roles: ROLES_RULE,
				emailVerified: { type: "boolean", optional: true },
				/** Signup announces the account itself once the whole school exists. */
				announce: { type: "boolean", optional: true, default: true },
			},
			async handler(this: any, ctx: Ctx<NewAccount & { schoolId: string; announce: boolean }>) {
				const { announce, ...account } = ctx.params;
				if (!account.email && !account.username) throw invalid("email", "an account needs an email or a username");
				const user = await this.createUser(ctx, account);
				if (announce) await this.announceCreated(user);
				return user;
			},
		},

		createPlatformAdmin: {
			params: {
				$$strict: "remove",
				email: EMAIL_RULE,
				password: PASSWORD_RULE,
				firstName: PERSON_NAME,
				lastName: PERSON_NAME,
				role: { type: "enum", values: [...STAFF_ROLES], optional: true, default: "platform_admin" },
			},
			async handler(this: any, ctx: Ctx<{ email: string; password: string; firstName: string; lastName: string; role: Role }>) {
				const { role, ...rest } = ctx.params;
				return this.createUser(ctx, { ...rest, schoolId: null, roles: [role], emailVerified: true });
			},
		},

		emailAvailable: {
			params: { $$strict: "remove", email: EMAIL_RULE },
			async handler(this: any, ctx: Ctx<{ email: string }>) {
				return { available: !(await this.model.exists({ loginKey: emailKey(ctx.params.email) })) };
			},
		},

		markEmailVerified: {
			params: { $$strict: "remove", userId: ID },
			async handler(this: any, ctx: Ctx<{ userId: string }>) {
				const updated = await this.model.findOneAndUpdate({ _id: ctx.params.userId }, { $set: { emailVerified: true } }, { new: true });
				if (!updated) throw notFound("User", ctx.params.userId);
				return this.changed(ctx, updated);
			},
		},

		setPassword: {
			params: { $$strict: "remove", userId: ID, password: PASSWORD_RULE },
			async handler(this: any, ctx: Ctx<{ userId: string; password: string }>) {
				const passwordHash = await hashPassword(ctx.params.password);
				// A new password ends every access token issued under the old one, on every node.
				const updated = await this.model.findOneAndUpdate({ _id: ctx.params.userId }, { $set: { passwordHash }, $inc: { sessionVersion: 1 } });
				if (!updated) throw notFound("User", ctx.params.userId);
				await announceIdentityChange(ctx, { userId: ctx.params.userId, reason: "password" });
				return { ok: true };
			},
		},

		findForReset: {
			params: { $$strict: "remove", email: { type: "string", max: 254 } },
			async handler(this: any, ctx: Ctx<{ email: string }>) {
				const doc = await this.model.findOne({ loginKey: emailKey(ctx.params.email), status: "active" });
				return doc ? { id: String(doc._id), schoolId: doc.schoolId ? String(doc.schoolId) : null, email: doc.email } : null;
			},
		},

		resolveMany: {
			params: {
				$$strict: "remove",
				ids: { type: "array", max: 1000, items: ID },
				roles: { type: "array", optional: true, max: 5, items: { type: "enum", values: [...SCHOOL_ROLES] } },
			},
			async handler(this: any, ctx: Ctx<{ ids: string[]; roles?: Role[] }>) {
				const wanted = ctx.params.roles ?? [];
				const docs = await this.byIdsScoped(ctx, ctx.params.ids, wanted.length > 0 ? { where: { roles: { $in: wanted } } } : {});
				return this.toJSON(ctx, docs);
			},
		},

		resolveLogins: {
			params: {
				$$strict: "remove",
				emails: { type: "array", optional: true, max: RESOLVE_MAX, items: { type: "string", min: 1, max: 254 } },
				usernames: { type: "array", optional: true, max: RESOLVE_MAX, items: { type: "string", min: 1, max: 100 } },
			},
			async handler(this: any, ctx: Ctx<{ emails?: string[]; usernames?: string[] }>) {
				const schoolId = callerSchoolId(ctx);
				const emails = [...new Set((ctx.params.emails ?? []).map(emailKey))];
				const usernames = [...new Set((ctx.params.usernames ?? []).map(u => usernameKey(schoolId, u)))];
				const or: Filter[] = [];
				if (emails.length > 0) or.push({ loginKey: { $in: emails } });
				if (usernames.length > 0) or.push({ usernameKey: { $in: usernames } });
				if (or.length === 0) return [];
				// The tenant filter also keeps out an email that belongs to another school's account.
				const docs = await this.model.find(this.tenantFilter(ctx, { $or: or }), { roles: 1, email: 1, username: 1 });
				return docs.map((d: any) => ({ id: String(d._id), roles: [...d.roles], email: d.email ?? null, username: d.username ?? null }));
			},
		},

		/** The active school admins of a school (safeguarding reports go to them). */
		schoolAdmins: {
			params: { $$strict: "remove", schoolId: ID },
			async handler(this: any, ctx: Ctx<{ schoolId: string }>) {
				// The email lets billing mail invoices to the school's admins (services/billing/billing-notices).
				const docs = await this.model.find({ schoolId: ctx.params.schoolId, roles: "school_admin", status: "active" }, { _id: 1, email: 1 });
				return docs.map((doc: any) => ({ id: String(doc._id), email: doc.email ?? null }));
			},
		},

		sessionUser: {
			params: { $$strict: "remove", userId: ID },
			async handler(this: any, ctx: Ctx<{ userId: string }>) {
				const doc = await this.model.findById(ctx.params.userId);
				if (!doc) throw notFound("User", ctx.params.userId);
				return this.withSessionVersion(ctx, doc);
			},
		},

		/** What the edges check a token against on every call (services/shared/live-identity.ts). */
		identity: {
			params: { $$strict: "remove", userId: ID },
			async handler(this: any, ctx: Ctx<{ userId: string }>) {
				const doc = await this.model.findById(ctx.params.userId, { schoolId: 1, roles: 1, status: 1, sessionVersion: 1 });
				if (!doc) throw notFound("User", ctx.params.userId);
				return { id: String(doc._id), schoolId: doc.schoolId ? String(doc.schoolId) : null, roles: [...doc.roles], status: doc.status, sv: doc.sessionVersion ?? 0 };
			},
		},

		/** Ends every access token of the account at once (logout): a new session version, told to every node. */
		endSessions: {
			params: { $$strict: "remove", userId: ID, reason: { type: "string", min: 1, max: 40, optional: true } },
			async handler(this: any, ctx: Ctx<{ userId: string; reason?: string }>) {
				const updated = await this.model.findOneAndUpdate({ _id: ctx.params.userId }, { $inc: { sessionVersion: 1 } }, { new: true, projection: { sessionVersion: 1 } });
				if (!updated) throw notFound("User", ctx.params.userId);
				await announceIdentityChange(ctx, { userId: ctx.params.userId, reason: ctx.params.reason ?? "logout" });
				return { sv: updated.sessionVersion };
			},
		},

		recordLogin: {
			params: { $$strict: "remove", userId: ID },
			async handler(this: any, ctx: Ctx<{ userId: string }>) {
				await this.model.updateOne({ _id: ctx.params.userId }, { $set: { lastLoginAt: new Date() } });
				return { ok: true };
			},
		},

		/**
		 * Data rights (issue 16): the account of a person whose erasure was accepted (dataRights) stops at
		 * once: nothing personal left in it, its seat given back, every session ended. Returns the identifiers
		 * it held (the other blocks' parts look for them in text) and whether it was already erased. The
		 * last active school admin cannot go: the school closes instead.
		 */
		eraseAccount: {
			params: { $$strict: "remove", userId: ID, schoolId: ID },
			async handler(this: any, ctx: Ctx<{ userId: string; schoolId: string }>) {
				const { userId, schoolId } = ctx.params;
				const target = await this.schoolDocument(ctx, userId, schoolId);
				const identifiers = { email: target.email ?? null, username: target.username ?? null, firstName: target.firstName ?? null, lastName: target.lastName ?? null };
				if (target.status === "erased") return { erased: true, already: true, identifiers: null };
				const removesAdmin = target.status === "active" && target.roles.includes("school_admin");
				await this.guardingAdmins(schoolId, removesAdmin, async () => {
					if (removesAdmin) {
						const others = await this.model.countDocuments({ schoolId, _id: { $ne: target._id }, roles: "school_admin", status: "active" });
						if (others === 0) throw conflict("The school's last active admin cannot be erased: close the school instead (POST /api/school/closure)");
					}
					const update = erasedAccount(userId);
					const done = await this.model.updateOne({ _id: target._id, schoolId, status: target.status }, { ...update, $inc: { sessionVersion: 1 } }, { strict: false });
					if (done.modifiedCount !== 1) throw conflict("The account changed meanwhile, try again");
				});
				if (target.status === "active" && holdsSeat(target.roles)) await this.releaseSeats(ctx, schoolId, 1);
				await announceIdentityChange(ctx, { userId, reason: "erased" } as any);
				await this.revokeSessions(ctx, userId);
				return { erased: true, already: false, identifiers };
			},
		},

		removeAccount: {
			params: { $$strict: "remove", userId: ID, schoolId: ID },
			async handler(this: any, ctx: Ctx<{ userId: string; schoolId: string }>) {
				const removed = await this.model.findOneAndDelete({ _id: ctx.params.userId, schoolId: ctx.params.schoolId });
				return { removed: removed ? 1 : 0 };
			},
		},
	},

	methods: {
		/**
		 * Runs a change that may take away an active school admin (a demotion, a suspension) alone among the
		 * school's such changes, under the school's lease (services/shared/lease.ts). The rule "at least one
		 * active admin stays" spans several user documents: two admins demoting each other at once would each
		 * count the other and both succeed, which no conditional update of one document can prevent. Every
		 * other change (seats, roles without the admin one, reactivation) is one conditional update and runs as is.
		 */
		guardingAdmins<T>(this: any, schoolId: string, removesAdmin: boolean, fn: () => Promise<T>): Promise<T> {
			if (!removesAdmin) return fn();
			return withLease(UserLease, `admins:${schoolId}`, fn, { busyMessage: "The school's admins are being changed, try again" });
		},

		/** The caller's own account (staff included, who have no school). */
		async ownDocument(this: any, ctx: Ctx) {
			const me = currentUser(ctx);
			const doc = mongoose.isValidObjectId(me.id) ? await this.model.findOne({ _id: me.id, schoolId: me.schoolId }) : null;
			if (!doc) throw notFound("User", me.id);
			return doc;
		},

		/** A raw member of the caller's school (or of `schoolId`, which actedOnSchool decided), or 404. */
		async schoolDocument(this: any, ctx: Ctx, id: string, schoolId?: string) {
			const doc = await this.model.findOne(schoolId ? { _id: id, schoolId } : this.tenantFilter(ctx, { _id: id }));
			if (!doc) throw notFound("User", id);
			return doc;
		},

		/**
		 * The school whose member a roles or status change acts on: the caller's own, or for platform staff
		 * (who have none) the `schoolId` they name. A school member's `schoolId` parameter is ignored.
		 */
		actedOnSchool(this: any, ctx: Ctx<{ schoolId?: string }>): string {
			const me = currentUser(ctx);
			if (me.schoolId) return me.schoolId;
			if (!hasRole(me, "platform_admin")) return callerSchoolId(ctx);
			if (!ctx.params.schoolId) throw invalid("schoolId", "platform staff name the school of the member");
			return ctx.params.schoolId;
		},

		/** Nobody changes their own roles or status: another admin (or platform staff) does. */
		assertNotSelf(this: any, ctx: Ctx<{ id: string }>, what: "roles" | "status") {
			if (ctx.params.id === currentUser(ctx).id) throw forbidden(what === "roles" ? "You cannot change your own roles" : "You cannot change your own status");
		},

		/** A user's public JSON plus the session version an access token is signed at (internal actions only). */
		async withSessionVersion(this: any, ctx: Ctx, doc: any) {
			return { ...(await this.toJSON(ctx, doc)), sv: doc.sessionVersion ?? 0 };
		},

		/** Extra filter for what the caller may see: a teacher sees teachers and students only. */
		visibleTo(this: any, ctx: Ctx): Filter {
			return hasRole(ctx.meta.user, "school_admin") ? {} : { roles: { $in: TEACHER_VISIBLE_ROLES } };
		},

		forViewer(this: any, ctx: Ctx, users: any): any {
			if (hasRole(ctx.meta.user, "school_admin")) return users;
			const strip = (u: any) => Object.fromEntries(Object.entries(u).filter(([k]) => !ADMIN_ONLY_FIELDS.includes(k)));
			return Array.isArray(users) ? users.map(strip) : strip(users);
		},

		async changed(this: any, ctx: Ctx, doc: any) {
			const json = await this.toJSON(ctx, doc);
			await this.entityChanged("updated", json, ctx, doc);
			return json;
		},

		/** A new account's document, password hashed, not stored yet. */
		async newUserDoc(this: any, account: NewAccount) {
			const _id = new mongoose.Types.ObjectId();
			const email = account.email ? normalizeEmail(account.email) : null;
			const username = account.username ?? null;
			return {
				_id,
				schoolId: account.schoolId,
				email,
				username,
				...accountKeys(String(_id), account.schoolId, email, username),
				passwordHash: await hashPassword(account.password),
				firstName: account.firstName,
				lastName: account.lastName,
				roles: account.roles,
				emailVerified: account.emailVerified ?? false,
			};
		},

		/** Inserts an account; a taken email or username is a 409 naming which. */
		async createUser(this: any, ctx: Ctx, account: NewAccount) {
			return this.insertUserDoc(ctx, await this.newUserDoc(account));
		},

		async insertUserDoc(this: any, ctx: Ctx, doc: any) {
			try {
				const created = await this.model.create(doc);
				const json = await this.toJSON(ctx, created);
				await this.entityChanged("created", json, ctx, created);
				return json;
			} catch (err) {
				if (!isDuplicateKey(err)) throw err;
				const byEmail = doc.email && (await this.model.exists({ loginKey: doc.loginKey }));
				throw byEmail
					? conflict("This email already has an account", ERR.EMAIL_TAKEN, { field: "email" })
					: conflict("This username is taken in the school", ERR.USERNAME_TAKEN, { field: "username" });
			}
		},

		/**
		 * Inserts imported accounts in one round trip. If some are refused (a name taken since the check),
		 * whatever was not stored is retried one by one, which names the problem of each line.
		 */
		async insertImported(this: any, ctx: Ctx, docs: any[], rows: StudentRow[]): Promise<{ created: any[]; failed: ImportProblem[] }> {
			try {
				await this.model.insertMany(docs, { ordered: false });
			} catch (err) {
				if (!isDuplicateKey(err) && !(err as { writeErrors?: unknown }).writeErrors) throw err;
			}
			const inserted = await this.model.find({ _id: { $in: docs.map(d => d._id) } });
			const stored = new Set(inserted.map((d: any) => String(d._id)));
			const created: any[] = await this.toJSON(ctx, inserted);
			if (created.length > 0) await this.entityChanged("created", created, ctx);
			const failed: ImportProblem[] = [];
			for (const [i, doc] of docs.entries()) {
				if (stored.has(String(doc._id))) continue;
				try {
					created.push(await this.insertUserDoc(ctx, doc));
				} catch (err) {
					if (!(err instanceof ClientError)) throw err;
					failed.push({ line: rows[i].line, field: err.type === ERR.EMAIL_TAKEN ? "email" : "username", message: err.message });
				}
			}
			return { created, failed };
		},

		/** Removes what an import stored of `docs` and gives back the seats it reserved. */
		async undoImport(this: any, ctx: Ctx, schoolId: string, docs: any[], seats: number) {
			try {
				await this.model.deleteMany({ _id: { $in: docs.map(d => d._id) }, schoolId });
			} catch (err) {
				this.logger.error("Could not remove the accounts of a failed import", { schoolId }, err);
			}
			await this.releaseSeats(ctx, schoolId, seats);
		},

		async assertUsernameFree(this: any, schoolId: string, username: string) {
			if (await this.model.exists({ usernameKey: usernameKey(schoolId, username) })) {
				throw conflict("This username is taken in the school", ERR.USERNAME_TAKEN, { field: "username" });
			}
		},

		/** Import rows whose username or email an existing account already has. */
		async takenInSchool(this: any, schoolId: string, rows: StudentRow[]): Promise<ImportProblem[]> {
			if (rows.length === 0) return [];
			const usernameKeys = rows.map(r => usernameKey(schoolId, r.username));
			const emailKeys = rows.filter(r => r.email).map(r => emailKey(r.email!));
			const existing = await this.model.find({ $or: [{ usernameKey: { $in: usernameKeys } }, { loginKey: { $in: emailKeys } }] }, { usernameKey: 1, loginKey: 1 });
			const takenUsernames = new Set(existing.map((d: any) => d.usernameKey));
			const takenEmails = new Set(existing.map((d: any) => d.loginKey));
			const problems: ImportProblem[] = [];
			for (const row of rows) {
				if (takenUsernames.has(usernameKey(schoolId, row.username))) problems.push({ line: row.line, field: "username", message: "already taken in the school" });
				if (row.email && takenEmails.has(emailKey(row.email))) problems.push({ line: row.line, field: "email", message: "already has an account" });
			}
			return problems;
		},

		importRefused(this: any, errors: ImportProblem[]) {
			return new ClientError(`The import has ${errors.length} problem(s); nothing was created`, 422, ERR.IMPORT_INVALID, this.byLine(errors));
		},

		byLine(this: any, errors: ImportProblem[]) {
			return [...errors].sort((a, b) => a.line - b.line);
		},

		/** Refuses to leave the school without an active admin, unless platform staff decide so. */
		async assertAnotherAdmin(this: any, ctx: Ctx, schoolId: string, target: any) {
			if (hasRole(ctx.meta.user, "platform_admin")) return;
			const others = await this.model.countDocuments({ schoolId, _id: { $ne: target._id }, roles: "school_admin", status: "active" });
			if (others === 0) throw conflict("The school must keep at least one active school admin");
		},

		async releaseSeats(this: any, ctx: Ctx, schoolId: string, count: number) {
			try {
				await ctx.call("subscriptions.releaseSeats", { schoolId, count });
			} catch (err) {
				// The write this compensates already failed or succeeded; a stuck seat is fixed by support, not by failing again.
				this.logger.error("Could not release seats", { schoolId, count }, err);
			}
		},

		async revokeSessions(this: any, ctx: Ctx, userId: string) {
			await ctx.call("auth.revokeSessions", { userId });
		},

		async announceCreated(this: any, user: any) {
			await publishDurable(this.broker, "users.user.created", userCreatedMessage(user));
		},
	},

	async started() {
		// The lease is only a lease once its unique index exists.
		await UserLease.init();
	},
};

export default UsersService;

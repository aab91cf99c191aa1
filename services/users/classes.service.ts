/**
 * Classes: groups of students and their teachers inside a school. Members are checked through
 * `users.resolveMany` (same school, right role); who sees and manages what is in class-access.ts.
 */
import { Class } from "../../models/class.model.js";
import { parseCsv } from "../shared/csv.js";
import { dbMixin, PAGE_PARAMS, type PageParams } from "../shared/db.mixin.js";
import { publishDurable } from "../shared/durable.js";
import { ClientError, conflict, ERR, forbidden, invalid, isDuplicateKey, notFound } from "../shared/errors.js";
import { callerSchoolId, currentUser, hasRole, type Ctx } from "../shared/identity.js";
import type { ServiceDef } from "../shared/service.js";
import { canManageClass, canSeeClass, manageGuard, visibleClassesFilter } from "./class-access.js";
import { CLASS_CSV_DESCRIPTION, classKey, headerProblems, readClassRows, type ClassRow, type LoginRef, type RowError } from "./class-import.js";
import { ID } from "../shared/params.js";
import { textRule, TEXT_RULE_DESCRIPTION } from "../shared/text-rules.js";
import { EXPORT_PARAMS, exportPage, on, type ExportParams } from "../shared/feed-export.js";
import { classChangedMessage } from "./users-feed.js";
import { classesPersonalData } from "./personal-data.js";

const IDS = (max: number) => ({ type: "array", items: ID, max, unique: true }) as const;
const TEXT = (max: number) => textRule({ max, min: 0, optional: true, nullable: true });
const CLASS_NAME = textRule({ max: 120 });
/** Free text, not a number: schools write "2025", "2025-2026" or "2025/26". */
const YEAR = { ...TEXT(20), description: `The school year as a string, e.g. "2025-2026" or "2025" (a JSON number is refused). ${TEXT_RULE_DESCRIPTION}` };
const MAX_IMPORT_ROWS = 1000;
const RESOLVE_CHUNK = 1000;

type MemberRole = "teacher" | "student";

interface ClassFields {
	name?: string;
	subject?: string | null;
	level?: string | null;
	year?: string | null;
}

interface ResolvedUser {
	id: string;
	roles: string[];
	email?: string | null;
	username?: string | null;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function duplicateClass(): ClientError {
	return conflict("A class with this name already exists for this year", ERR.CONFLICT);
}

const ClassesService: ServiceDef = {
	name: "classes",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [classesPersonalData, 
		dbMixin(Class, {
			fields: ["id", "schoolId", "name", "subject", "level", "year", "teacherIds", "studentIds", "createdBy", "createdAt", "updatedAt"],
		}),
	],

	actions: {
		/** The school's classes as `users.class.changed` (reporting rebuilds its class figures from them). */
		export: {
			params: EXPORT_PARAMS,
			handler(this: any, ctx: Ctx<ExportParams>) {
				return exportPage(this.model, ctx.params, {}, (doc: any) => on("users.class.changed", [classChangedMessage(doc)]));
			},
		},

		create: {
			rest: "POST /classes",
			params: {
				$$strict: "remove",
				name: CLASS_NAME,
				subject: TEXT(100),
				level: TEXT(50),
				year: YEAR,
				teacherIds: { ...IDS(50), optional: true },
				studentIds: { ...IDS(1000), optional: true },
			},
			async handler(this: any, ctx: Ctx<ClassFields & { teacherIds?: string[]; studentIds?: string[] }>) {
				const user = currentUser(ctx);
				const teacherIds = [...(ctx.params.teacherIds ?? [])];
				// A teacher creating a class teaches it.
				if (user.roles.includes("teacher") && !teacherIds.includes(user.id)) teacherIds.push(user.id);
				const studentIds = ctx.params.studentIds ?? [];
				if (studentIds.length > 0) await this.assertMayEnrol(ctx);
				await this.assertMembers(ctx, teacherIds, "teacher", "teacherIds");
				await this.assertMembers(ctx, studentIds, "student", "studentIds");
				let created;
				try {
					created = await this.insertScoped(ctx, { ...this.fieldsOf(ctx.params), teacherIds, studentIds, createdBy: user.id });
				} catch (err) {
					if (isDuplicateKey(err)) throw duplicateClass();
					throw err;
				}
				await this.announceCreated(created);
				ctx.meta.$statusCode = 201;
				return created;
			},
		},

		list: {
			rest: "GET /classes",
			params: { $$strict: "remove", q: TEXT(100), ...PAGE_PARAMS },
			handler(this: any, ctx: Ctx<PageParams & { q?: string }>) {
				const filter: Record<string, unknown> = { ...visibleClassesFilter(currentUser(ctx)) };
				if (ctx.params.q) filter.name = { $regex: escapeRegex(ctx.params.q), $options: "i" };
				return this.pageScoped(ctx, filter, ctx.params, { name: 1, _id: 1 });
			},
		},

		get: {
			rest: "GET /classes/:id",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const cls = await this.getScoped(ctx, ctx.params.id);
				if (!canSeeClass(currentUser(ctx), cls)) throw forbidden("You neither teach nor attend this class");
				return cls;
			},
		},

		update: {
			rest: "PATCH /classes/:id",
			params: {
				$$strict: "remove",
				id: ID,
				name: { ...CLASS_NAME, optional: true },
				subject: TEXT(100),
				level: TEXT(50),
				year: YEAR,
			},
			async handler(this: any, ctx: Ctx<ClassFields & { id: string }>) {
				await this.managedClass(ctx, ctx.params.id);
				try {
					return await this.updateScoped(ctx, ctx.params.id, { $set: this.fieldsOf(ctx.params) }, manageGuard(currentUser(ctx)));
				} catch (err) {
					if (isDuplicateKey(err)) throw duplicateClass();
					throw err;
				}
			},
		},

		remove: {
			rest: "DELETE /classes/:id",
			params: { $$strict: "remove", id: ID },
			handler(this: any, ctx: Ctx<{ id: string }>) {
				return this.removeScoped(ctx, ctx.params.id);
			},
		},

		assignTeachers: {
			rest: "POST /classes/:id/teachers",
			params: { $$strict: "remove", id: ID, teacherIds: { ...IDS(50), min: 1 } },
			async handler(this: any, ctx: Ctx<{ id: string; teacherIds: string[] }>) {
				await this.getScoped(ctx, ctx.params.id);
				await this.assertMembers(ctx, ctx.params.teacherIds, "teacher", "teacherIds");
				return this.updateScoped(ctx, ctx.params.id, { $addToSet: { teacherIds: { $each: ctx.params.teacherIds } } });
			},
		},

		removeTeacher: {
			rest: "DELETE /classes/:id/teachers/:teacherId",
			params: { $$strict: "remove", id: ID, teacherId: ID },
			handler(this: any, ctx: Ctx<{ id: string; teacherId: string }>) {
				return this.updateScoped(ctx, ctx.params.id, { $pull: { teacherIds: ctx.params.teacherId } });
			},
		},

		enrollStudents: {
			rest: "POST /classes/:id/students",
			params: { $$strict: "remove", id: ID, studentIds: { ...IDS(1000), min: 1 } },
			async handler(this: any, ctx: Ctx<{ id: string; studentIds: string[] }>) {
				await this.managedClass(ctx, ctx.params.id);
				await this.assertMayEnrol(ctx);
				await this.assertMembers(ctx, ctx.params.studentIds, "student", "studentIds");
				return this.updateScoped(
					ctx,
					ctx.params.id,
					{ $addToSet: { studentIds: { $each: ctx.params.studentIds } } },
					manageGuard(currentUser(ctx)),
				);
			},
		},

		unenrollStudent: {
			rest: "DELETE /classes/:id/students/:studentId",
			params: { $$strict: "remove", id: ID, studentId: ID },
			async handler(this: any, ctx: Ctx<{ id: string; studentId: string }>) {
				await this.managedClass(ctx, ctx.params.id);
				return this.updateScoped(ctx, ctx.params.id, { $pull: { studentIds: ctx.params.studentId } }, manageGuard(currentUser(ctx)));
			},
		},

		import: {
			rest: "POST /classes/import",
			// For the OpenAPI document (gateway/openapi.ts); moleculer's typings do not know the key.
			...{ openapi: { summary: "Import classes from a CSV file", description: CLASS_CSV_DESCRIPTION } },
			params: {
				$$strict: "remove",
				csv: { type: "string", min: 1, max: 1_000_000, description: "The file's text (see the operation's description)." },
				mode: { type: "enum", values: ["valid_only", "all_or_nothing"] },
			},
			async handler(this: any, ctx: Ctx<{ csv: string; mode: "valid_only" | "all_or_nothing" }>) {
				const schoolId = callerSchoolId(ctx);
				const csv = parseCsv(ctx.params.csv, { maxRows: MAX_IMPORT_ROWS });
				const problems = headerProblems(csv.header);
				if (problems.length > 0) {
					throw new ClientError("The CSV header is not usable", 422, ERR.IMPORT_INVALID, problems.map(message => ({ line: 1, field: "header", message })));
				}
				const { rows, errors } = readClassRows(csv);
				const members = await this.resolveImportMembers(ctx, rows, errors);
				const ready = rows.filter(row => members.has(row.line));
				errors.sort((a: RowError, b: RowError) => a.line - b.line);
				if (ctx.params.mode === "all_or_nothing" && errors.length > 0) {
					throw new ClientError(`${errors.length} problem(s): nothing was imported`, 422, ERR.IMPORT_INVALID, errors);
				}
				return this.writeImport(ctx, schoolId, ready, members, errors, ctx.params.mode === "all_or_nothing");
			},
		},

		membership: {
			params: { $$strict: "remove", userId: ID, schoolId: { ...ID, optional: true } },
			async handler(this: any, ctx: Ctx<{ userId: string; schoolId?: string }>) {
				// The system principal has no school of its own and names one; anyone else stays in theirs.
				const schoolId = currentUser(ctx).schoolId ?? ctx.params.schoolId;
				if (!schoolId) throw invalid("schoolId", "is required for a caller without a school");
				const { userId } = ctx.params;
				const classes = await this.model.find({ schoolId, $or: [{ teacherIds: userId }, { studentIds: userId }] }, { teacherIds: 1, studentIds: 1 });
				const has = (list: unknown[]) => list.some(id => String(id) === userId);
				return {
					teaches: classes.filter((c: any) => has(c.teacherIds)).map((c: any) => String(c._id)),
					attends: classes.filter((c: any) => has(c.studentIds)).map((c: any) => String(c._id)),
				};
			},
		},

		/** A class's members (live rooms size themselves by it). */
		roster: {
			params: { $$strict: "remove", id: ID, schoolId: { ...ID, optional: true } },
			async handler(this: any, ctx: Ctx<{ id: string; schoolId?: string }>) {
				const schoolId = currentUser(ctx).schoolId ?? ctx.params.schoolId;
				if (!schoolId) throw invalid("schoolId", "is required for a caller without a school");
				const cls = await this.model.findOne({ _id: ctx.params.id, schoolId }, { teacherIds: 1, studentIds: 1 });
				if (!cls) throw notFound("Class", ctx.params.id);
				return { teacherIds: cls.teacherIds.map(String), studentIds: cls.studentIds.map(String) };
			},
		},

		teachesStudent: {
			params: { $$strict: "remove", teacherId: ID, studentId: ID, schoolId: { ...ID, optional: true } },
			async handler(this: any, ctx: Ctx<{ teacherId: string; studentId: string; schoolId?: string }>) {
				// As for membership: the system principal names the school, anyone else stays in theirs.
				const schoolId = currentUser(ctx).schoolId ?? ctx.params.schoolId;
				if (!schoolId) throw invalid("schoolId", "is required for a caller without a school");
				const found = await this.model.exists({ schoolId, teacherIds: ctx.params.teacherId, studentIds: ctx.params.studentId });
				return { teaches: !!found };
			},
		},

		addMember: {
			params: {
				$$strict: "remove",
				schoolId: ID,
				userId: ID,
				role: { type: "enum", values: ["teacher", "student"] },
				classIds: IDS(100),
			},
			async handler(this: any, ctx: Ctx<{ schoolId: string; userId: string; role: MemberRole; classIds: string[] }>) {
				// Called for a user the caller has just made in this school (an accepted invitation), so the
				// school comes from the caller; classes removed since simply do not match.
				const { schoolId, userId, role, classIds } = ctx.params;
				const field = role === "teacher" ? "teacherIds" : "studentIds";
				const filter = { schoolId, _id: { $in: classIds } };
				await this.model.updateMany(filter, { $addToSet: { [field]: userId } });
				const found = await this.model.find({ ...filter, [field]: userId }, { _id: 1 });
				return { classIds: found.map((c: any) => String(c._id)) };
			},
		},
	},

	// moleculer-db calls these after updateScoped / removeScoped: reporting learns who teaches and attends.
	entityUpdated(this: any, json: any) {
		return this.announceChanged(json);
	},
	entityRemoved(this: any, json: any) {
		return this.announceChanged(json, true);
	},

	methods: {
		/** Like announceCreated: the change is stored, so a lost announcement is logged, not thrown. */
		async announceChanged(this: any, cls: any, removed = false) {
			const message = classChangedMessage(cls, removed);
			try {
				await publishDurable(this.broker, "users.class.changed", message);
			} catch (err) {
				this.logger.error("users.class.changed not published", message, err);
			}
		},

		/** The descriptive fields a client sent; an empty optional field clears it. */
		fieldsOf(params: ClassFields): Record<string, string | null> {
			const out: Record<string, string | null> = {};
			for (const key of ["name", "subject", "level", "year"] as const) {
				if (params[key] !== undefined) out[key] = params[key] || null;
			}
			return out;
		},

		/** The class, if the caller may change it: 404 outside their school, 403 when they do not teach it. */
		async managedClass(this: any, ctx: Ctx<any>, id: string) {
			const cls = await this.getScoped(ctx, id);
			if (!canManageClass(currentUser(ctx), cls)) throw forbidden("You do not teach this class");
			return cls;
		},

		/**
		 * Enrolling a student gives the class's teachers their data and chat, so who may do it is the school's
		 * choice (settings.classes.enrolment): its admins only (default), or also the class's own teachers.
		 */
		async assertMayEnrol(this: any, ctx: Ctx<any>) {
			if (hasRole(ctx.meta.user, "school_admin")) return;
			const school: { settings?: { classes?: { enrolment?: string } } } = await ctx.call("schools.mine");
			if (school.settings?.classes?.enrolment === "class_teachers") return;
			throw forbidden("Only school admins enrol students in classes in this school (school setting classes.enrolment)");
		},

		/** Every id must be a user of the caller's school holding `role`, else 422 naming the others. */
		async assertMembers(this: any, ctx: Ctx<any>, ids: string[], role: MemberRole, field: string) {
			if (ids.length === 0) return;
			const users: ResolvedUser[] = await ctx.call("users.resolveMany", { ids, roles: [role] });
			const ok = new Set(users.filter(u => u.roles?.includes(role)).map(u => String(u.id)));
			const wrong = ids.filter(id => !ok.has(id));
			if (wrong.length > 0) {
				throw new ClientError(`Not ${role}s of this school: ${wrong.join(", ")}`, 422, ERR.VALIDATION, [
					{ field, message: `not ${role}s of this school`, ids: wrong },
				]);
			}
		},

		/**
		 * The class is already stored: failing the request now would only make the client retry into a
		 * 409, so a lost announcement is logged for replay instead of thrown.
		 */
		async announceCreated(this: any, cls: any) {
			const message = { schoolId: cls.schoolId, classId: cls.id, name: cls.name, teacherIds: cls.teacherIds, studentIds: cls.studentIds };
			try {
				await publishDurable(this.broker, "users.class.created", message);
			} catch (err) {
				this.logger.error("users.class.created not published", message, err);
			}
		},

		/**
		 * Turns each row's logins into user ids of the right role. Rows with a login that does not resolve
		 * get an error; the answer maps the line of each fully resolved row to its members.
		 */
		async resolveImportMembers(this: any, ctx: Ctx<any>, rows: ClassRow[], errors: RowError[]) {
			const refs = rows.flatMap(r => [...r.teachers, ...r.students]);
			const byLogin = await this.usersByLogin(ctx, refs);
			const members = new Map<number, { teacherIds: string[]; studentIds: string[] }>();
			for (const row of rows) {
				const rowErrors: RowError[] = [];
				const pick = (list: LoginRef[], role: MemberRole, field: string) =>
					list.flatMap(ref => {
						const user: ResolvedUser | undefined = byLogin.get(`${ref.kind}:${ref.value}`);
						if (!user) rowErrors.push({ line: row.line, field, message: `no user "${ref.value}" in this school` });
						else if (!user.roles.includes(role)) rowErrors.push({ line: row.line, field, message: `"${ref.value}" is not a ${role}` });
						return user && user.roles.includes(role) ? [String(user.id)] : [];
					});
				const teacherIds = [...new Set(pick(row.teachers, "teacher", "teachers"))];
				const studentIds = [...new Set(pick(row.students, "student", "students"))];
				if (rowErrors.length > 0) errors.push(...rowErrors);
				else members.set(row.line, { teacherIds, studentIds });
			}
			return members;
		},

		/** Users of the caller's school by `id:<id>`, `email:<email>` and `username:<name>`. */
		async usersByLogin(this: any, ctx: Ctx<any>, refs: LoginRef[]): Promise<Map<string, ResolvedUser>> {
			const out = new Map<string, ResolvedUser>();
			const ids = [...new Set(refs.filter(r => r.kind === "id").map(r => r.value))];
			const emails = [...new Set(refs.filter(r => r.kind === "email").map(r => r.value))];
			const usernames = [...new Set(refs.filter(r => r.kind === "username").map(r => r.value))];
			// users.resolveMany and users.resolveLogins take up to RESOLVE_CHUNK logins of a kind per call.
			for (let i = 0; i < ids.length; i += RESOLVE_CHUNK) {
				const users: ResolvedUser[] = await ctx.call("users.resolveMany", { ids: ids.slice(i, i + RESOLVE_CHUNK) });
				for (const u of users) out.set(`id:${String(u.id)}`, u);
			}
			for (let i = 0; i < Math.max(emails.length, usernames.length); i += RESOLVE_CHUNK) {
				const users: ResolvedUser[] = await ctx.call("users.resolveLogins", {
					emails: emails.slice(i, i + RESOLVE_CHUNK),
					usernames: usernames.slice(i, i + RESOLVE_CHUNK),
				});
				for (const u of users) {
					if (u.email) out.set(`email:${u.email.toLowerCase()}`, u);
					if (u.username) out.set(`username:${u.username.toLowerCase()}`, u);
				}
			}
			return out;
		},

		/**
		 * Creates the new classes and adds members to existing ones (matched by name and year). With
		 * all_or_nothing, a write failing halfway undoes the earlier ones: created classes are removed,
		 * updated ones get their members and fields back.
		 */
		async writeImport(this: any, ctx: Ctx<any>, schoolId: string, rows: ClassRow[], members: Map<number, any>, errors: RowError[], atomic: boolean) {
			const existing = await this.model.find({ schoolId, name: { $in: rows.map(r => r.name) } });
			const byKey = new Map<string, any>(existing.map((c: any) => [classKey(c.name, c.year ?? null), c]));
			const created: any[] = [];
			const updated: any[] = [];
			const undo: (() => Promise<unknown>)[] = [];
			const userId = currentUser(ctx).id;
			for (const row of rows) {
				const { teacherIds, studentIds } = members.get(row.line);
				const before = byKey.get(classKey(row.name, row.year));
				try {
					if (before) {
						const set: ClassFields = {};
						if (row.subject !== null) set.subject = row.subject;
						if (row.level !== null) set.level = row.level;
						const doc = await this.model.findOneAndUpdate(
							{ _id: before._id, schoolId },
							{ $set: set, $addToSet: { teacherIds: { $each: teacherIds }, studentIds: { $each: studentIds } } },
							{ new: true },
						);
						if (!doc) throw Object.assign(new Error("class removed during the import"), { rowMessage: "the class was removed meanwhile" });
						undo.push(() =>
							this.model.updateOne(
								{ _id: before._id },
								{ $set: { subject: before.subject, level: before.level, teacherIds: before.teacherIds, studentIds: before.studentIds } },
							),
						);
						updated.push(doc);
					} else {
						const doc = await this.model.create({ schoolId, name: row.name, subject: row.subject, level: row.level, year: row.year, teacherIds, studentIds, createdBy: userId });
						undo.push(() => this.model.deleteOne({ _id: doc._id }));
						created.push(doc);
					}
				} catch (err: any) {
					const message = isDuplicateKey(err) ? "a class with this name and year was created meanwhile" : err?.rowMessage;
					if (!message) {
						if (atomic) await this.undoAll(undo);
						throw err;
					}
					if (atomic) {
						await this.undoAll(undo);
						throw new ClientError("Nothing was imported", 409, ERR.CONFLICT, [{ line: row.line, field: "name", message }]);
					}
					errors.push({ line: row.line, field: "name", message });
				}
			}
			const createdJson = await this.toJSON(ctx, created);
			for (const cls of createdJson) await this.announceCreated(cls);
			for (const cls of updated) await this.announceChanged(cls);
			errors.sort((a, b) => a.line - b.line);
			return { created: createdJson, updated: await this.toJSON(ctx, updated), errors };
		},

		async undoAll(this: any, undo: (() => Promise<unknown>)[]) {
			for (const step of undo.reverse()) {
				try {
					await step();
				} catch (err) {
					this.logger.error("Could not undo a class import step", err);
				}
			}
		},
	},
};

export default ClassesService;

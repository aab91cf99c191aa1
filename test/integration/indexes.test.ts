/**
 * `query indexes`: every query the services make starts from an index on MongoDB.
 *
 * 1. A table of the hot paths' filters and the index each relies on, checked against the indexes mongoose
 *    declares for the model (schema.indexes()): the index exists, its leading fields are fields of the filter
 *    and, where the path reads in an order, the index gives that order.
 * 2. The filters the services actually send (mongoose's debug hook) while a school signs up, invites, teaches,
 *    revises, is evaluated, chats and reads its notifications: each must have an index of its model to start
 *    from. A new query without one fails here, before production MongoDB scans a collection for it.
 *
 * mongo-java-server (the test server) ignores non-unique secondary indexes and scans; declaring them on the
 * schemas is what makes MongoDB 7 use them (autoIndex, or syncIndexes at deploy).
 */
import { expect } from "chai";
import type { Model } from "mongoose";
import { AuditEntry } from "../../models/audit-entry.model.js";
import { Class } from "../../models/class.model.js";
import { ContentItem } from "../../models/content-item.model.js";
import { Conversation } from "../../models/conversation.model.js";
import { EvaluationAttempt } from "../../models/evaluation-attempt.model.js";
import { Invitation } from "../../models/invitation.model.js";
import { LearningPath, LearningPathLease } from "../../models/learning-path.model.js";
import { UserLease } from "../../models/lease.model.js";
import { LiveSession } from "../../models/live-session.model.js";
import { MemoryState } from "../../models/memory-state.model.js";
import { Message } from "../../models/message.model.js";
import { Notification } from "../../models/notification.model.js";
import { OneTimeToken } from "../../models/one-time-token.model.js";
import { PathProgress } from "../../models/path-progress.model.js";
import { RefreshToken } from "../../models/refresh-token.model.js";
import { ReviewLog } from "../../models/review-log.model.js";
import { RevisionSession } from "../../models/revision-session.model.js";
import { SchedulingLease, SchedulingProfile } from "../../models/scheduling-profile.model.js";
import { School } from "../../models/school.model.js";
import { Subscription } from "../../models/subscription.model.js";
import { User } from "../../models/user.model.js";
import { createUsernameStudent, login, PASSWORD } from "../support/accounts.js";
import { openConversation } from "../support/chat.js";
import { declaredIndexes, indexFor, modelOfCollection, recordQueries, servesWithSort, type IndexKey, type SeenQuery } from "../support/index-check.js";
import { createPath, itemIds, learningSchool, ok, RIGHT, type ItemName } from "../support/learning-sessions.js";
import { bootPlatform, http, unique } from "../support/platform.js";

interface HotPath {
	what: string;
	model: Model<any>;
	/** The fields the filter constrains (equality first, then at most one range). */
	filter: string[];
	sort?: Record<string, 1 | -1>;
	/** The declared index it relies on. */
	index: IndexKey;
}

const HOT_PATHS: HotPath[] = [
	// users and sessions
	{ what: "login by email (also: is this email taken)", model: User, filter: ["loginKey"], index: { loginKey: 1 } },
	{ what: "login by school code + username", model: User, filter: ["usernameKey"], index: { usernameKey: 1 } },
	{ what: "a school's members by role (active admins: the last-admin rule)", model: User, filter: ["schoolId", "roles", "status"], index: { schoolId: 1, roles: 1 } },
	{ what: "refresh token by its hash", model: RefreshToken, filter: ["tokenHash"], index: { tokenHash: 1 } },
	{ what: "a refresh-token family (revoked on reuse)", model: RefreshToken, filter: ["familyId", "revokedAt"], index: { familyId: 1 } },
	{ what: "a user's live refresh tokens (logout everywhere)", model: RefreshToken, filter: ["userId", "revokedAt"], index: { userId: 1 } },
	{ what: "a school's refresh tokens (school suspended)", model: RefreshToken, filter: ["schoolId", "revokedAt"], index: { schoolId: 1 } },
	{ what: "one-time token by its hash", model: OneTimeToken, filter: ["tokenHash", "purpose", "usedAt", "expiresAt"], index: { tokenHash: 1 } },
	{ what: "a user's open one-time tokens of a kind", model: OneTimeToken, filter: ["userId", "purpose", "usedAt"], index: { userId: 1 } },
	{ what: "invitation by token hash", model: Invitation, filter: ["tokenHash", "status", "expiresAt"], index: { tokenHash: 1 } },
	{ what: "the pending invitation of an email in a school", model: Invitation, filter: ["slot"], index: { slot: 1 } },
	{ what: "a school's invitations by status, newest first", model: Invitation, filter: ["schoolId", "status"], sort: { createdAt: -1 }, index: { schoolId: 1, status: 1, createdAt: -1 } },
	{ what: "expired pending invitations (purge job, across schools)", model: Invitation, filter: ["status", "expiresAt"], index: { status: 1, expiresAt: 1 } },
	{ what: "a school's subscription (seats: conditional update)", model: Subscription, filter: ["schoolId", "status", "seatsFree"], index: { schoolId: 1 } },
	{ what: "school by login code", model: School, filter: ["code"], index: { code: 1 } },
	{ what: "the platform's schools by status, by name", model: School, filter: ["status"], index: { status: 1 } },
	{ what: "the platform's schools, by name (staff list)", model: School, filter: [], sort: { name: 1 }, index: { name: 1 } },
	{ what: "classes a user teaches", model: Class, filter: ["schoolId", "teacherIds"], index: { schoolId: 1, teacherIds: 1 } },
	{ what: "classes a user attends", model: Class, filter: ["schoolId", "studentIds"], index: { schoolId: 1, studentIds: 1 } },
	{ what: "a school's audit trail by action, newest first", model: AuditEntry, filter: ["schoolId", "action"], sort: { createdAt: -1 }, index: { schoolId: 1, action: 1, createdAt: -1 } },
	{ what: "a school's audit trail, newest first", model: AuditEntry, filter: ["schoolId"], sort: { createdAt: -1 }, index: { schoolId: 1, createdAt: -1 } },
	{ what: "users' leases (last-admin rule)", model: UserLease, filter: ["key"], index: { key: 1 } },
	// learning
	{ what: "memory state of (student, item), by its natural id", model: MemoryState, filter: ["_id", "schoolId", "studentId", "itemId"], index: { _id: 1 } },
	{ what: "memory state of (student, item), by its fields", model: MemoryState, filter: ["schoolId", "studentId", "itemId"], index: { schoolId: 1, studentId: 1, itemId: 1 } },
	{ what: "review log by review key, by its natural id", model: ReviewLog, filter: ["_id", "schoolId"], index: { _id: 1 } },
	{ what: "review log by review key", model: ReviewLog, filter: ["schoolId", "reviewKey"], index: { schoolId: 1, reviewKey: 1 } },
	{ what: "a student's review history in a subject, in order (optimiser)", model: ReviewLog, filter: ["schoolId", "studentId", "subject", "counted"], sort: { reviewedAt: 1 }, index: { schoolId: 1, studentId: 1, subject: 1, reviewedAt: 1 } },
	{ what: "a student's reviews since a date (streak, new items today)", model: ReviewLog, filter: ["schoolId", "studentId", "reviewedAt"], sort: { reviewedAt: 1 }, index: { schoolId: 1, studentId: 1, reviewedAt: 1 } },
	{ what: "a student's revision sessions, newest first (also by status)", model: RevisionSession, filter: ["schoolId", "studentId"], sort: { startedAt: -1 }, index: { schoolId: 1, studentId: 1, startedAt: -1 } },
	{ what: "a teacher's students' revision sessions, newest first", model: RevisionSession, filter: ["schoolId", "teacherId"], sort: { startedAt: -1 }, index: { schoolId: 1, teacherId: 1, startedAt: -1 } },
	{ what: "a school's revision sessions, newest first (admin)", model: RevisionSession, filter: ["schoolId"], sort: { startedAt: -1 }, index: { schoolId: 1, startedAt: -1 } },
	{ what: "a path's revision sessions", model: RevisionSession, filter: ["schoolId", "pathId"], index: { schoolId: 1, pathId: 1 } },
	{ what: "idle active revision sessions (expiry job, across schools)", model: RevisionSession, filter: ["status", "lastActivityAt"], index: { status: 1, lastActivityAt: 1 } },
	{ what: "a student's attempts at one evaluation step, in order", model: EvaluationAttempt, filter: ["schoolId", "studentId", "pathId", "stepId"], sort: { attemptNo: 1 }, index: { schoolId: 1, studentId: 1, pathId: 1, stepId: 1, attemptNo: 1 } },
	{ what: "a teacher's students' evaluation attempts, newest first", model: EvaluationAttempt, filter: ["schoolId", "teacherId"], sort: { startedAt: -1 }, index: { schoolId: 1, teacherId: 1, startedAt: -1 } },
	{ what: "a student's evaluation attempts (a few: sorted in memory)", model: EvaluationAttempt, filter: ["schoolId", "studentId"], index: { schoolId: 1, studentId: 1, pathId: 1, stepId: 1, attemptNo: 1 } },
	{ what: "a student's progress on a path (and many students' at once)", model: PathProgress, filter: ["schoolId", "studentId", "pathId"], index: { schoolId: 1, studentId: 1, pathId: 1 } },
	{ what: "a path's progress (teacher's view)", model: PathProgress, filter: ["schoolId", "pathId"], index: { schoolId: 1, pathId: 1 } },
	{ what: "a school's active paths (the plan's limit)", model: LearningPath, filter: ["schoolId", "status"], index: { schoolId: 1, status: 1 } },
	{ what: "a teacher's paths", model: LearningPath, filter: ["schoolId", "ownerId"], index: { schoolId: 1, ownerId: 1 } },
	{ what: "paths assigned to a student", model: LearningPath, filter: ["schoolId", "studentIds", "status"], index: { schoolId: 1, studentIds: 1 } },
	{ what: "paths assigned to a class", model: LearningPath, filter: ["schoolId", "classIds", "status"], index: { schoolId: 1, classIds: 1 } },
	{ what: "paths using an item", model: LearningPath, filter: ["schoolId", "steps.itemIds", "status"], index: { schoolId: 1, "steps.itemIds": 1 } },
	{ what: "paths' leases (the active-path limit)", model: LearningPathLease, filter: ["key"], index: { key: 1 } },
	{ what: "a teacher's content items", model: ContentItem, filter: ["schoolId", "ownerId", "status"], index: { schoolId: 1, ownerId: 1, status: 1 } },
	{ what: "validated items of a subject", model: ContentItem, filter: ["schoolId", "subject", "status"], index: { schoolId: 1, subject: 1, status: 1 } },
	{ what: "a school's items by status (validated items a teacher may use)", model: ContentItem, filter: ["schoolId", "status"], index: { schoolId: 1, status: 1 } },
	{ what: "the items of one import (undone on failure)", model: ContentItem, filter: ["schoolId", "importId"], index: { schoolId: 1, importId: 1 } },
	{ what: "scheduling profile layers by key", model: SchedulingProfile, filter: ["schoolId", "key"], index: { schoolId: 1, key: 1 } },
	{ what: "scheduling's lease (one optimisation run)", model: SchedulingLease, filter: ["key"], index: { key: 1 } },
	{ what: "live session by join code", model: LiveSession, filter: ["schoolId", "code"], index: { code: 1 } },
	{ what: "a teacher's live sessions, newest first", model: LiveSession, filter: ["schoolId", "teacherId"], sort: { createdAt: -1 }, index: { schoolId: 1, teacherId: 1, createdAt: -1 } },
	// communication
	{ what: "chat messages of a conversation, newest first (history pages)", model: Message, filter: ["conversationId", "_id"], sort: { _id: -1 }, index: { conversationId: 1, _id: -1 } },
	{ what: "a chat message by its client id (retries)", model: Message, filter: ["conversationId", "senderId", "clientId"], index: { conversationId: 1, senderId: 1, clientId: 1 } },
	{ what: "a school's reported messages, newest first", model: Message, filter: ["schoolId", "reportedAt"], sort: { reportedAt: -1 }, index: { schoolId: 1, reportedAt: -1 } },
	{ what: "a conversation by its pair", model: Conversation, filter: ["key"], index: { key: 1 } },
	{ what: "a user's conversations, latest first", model: Conversation, filter: ["memberIds"], sort: { lastMessageAt: -1 }, index: { memberIds: 1, lastMessageAt: -1 } },
	{ what: "a user's notifications, newest first", model: Notification, filter: ["userId", "schoolId"], sort: { _id: -1 }, index: { userId: 1, schoolId: 1, _id: -1 } },
	{ what: "a user's unread notifications (count, read all)", model: Notification, filter: ["userId", "schoolId", "readAt"], index: { userId: 1, schoolId: 1, readAt: 1 } },
	{ what: "a notification by source and user (delivered once)", model: Notification, filter: ["sourceId", "userId"], index: { sourceId: 1, userId: 1 } },
];

/** Queries that read a whole collection on purpose, with the reason. */
const SCANS_BY_DESIGN: { collection: string; method: string; why: string }[] = [
	{ collection: "reviewlogs", method: "aggregate", why: "the nightly count of counted reviews per (school, student, subject) reads every log once" },
];

const sameKeys = (a: IndexKey, b: IndexKey) => JSON.stringify(a) === JSON.stringify(b);

describe("query indexes", function () {
	this.timeout(120_000);

	before(async () => {
		await bootPlatform();
	});

	describe("the hot paths' filters and the index each relies on", () => {
		for (const hot of HOT_PATHS) {
			it(`${hot.model.modelName}: ${hot.what}`, () => {
				const declared = declaredIndexes(hot.model);
				expect(declared.some(ix => sameKeys(ix, hot.index)), `${JSON.stringify(hot.index)} among ${JSON.stringify(declared)}`).to.equal(true);
				expect(servesWithSort(hot.index, hot.filter, hot.sort), `${JSON.stringify(hot.index)} for ${hot.filter.join(", ")}${hot.sort ? ` sorted ${JSON.stringify(hot.sort)}` : ""}`).to.equal(true);
			});
		}
	});

	it("the server holds every index the models declare (built by autoIndex, none missing or different)", async () => {
		const models = [...new Set(HOT_PATHS.map(h => h.model))];
		for (const model of models) {
			await model.init();
			const diff = await model.diffIndexes();
			expect({ model: model.modelName, toCreate: diff.toCreate, toDrop: diff.toDrop }).to.deep.equal({ model: model.modelName, toCreate: [], toDrop: [] });
		}
	});

	it("the check itself refuses a filter no index leads with, and an order the index does not give", () => {
		const sessions = declaredIndexes(RevisionSession);
		expect(indexFor({ studentId: "x" }, sessions), "studentId leads no index").to.equal(null);
		expect(indexFor({ schoolId: "s", studentId: "x" }, sessions)).to.not.equal(null);
		expect(indexFor({ $or: [{ lastName: "a" }, { schoolId: "s" }] }, declaredIndexes(User)), "one $or branch without an index").to.equal(null);
		expect(indexFor({ schoolId: "s", $or: [{ lastName: "a" }, { firstName: "b" }] }, declaredIndexes(User)), "the fields outside $or suffice").to.not.equal(null);
		expect(servesWithSort({ schoolId: 1, studentId: 1, startedAt: -1 }, ["schoolId", "studentId"], { startedAt: 1 }), "reversed order is fine").to.equal(true);
		expect(servesWithSort({ schoolId: 1, studentId: 1, startedAt: -1 }, ["schoolId"], { startedAt: -1 }), "a gap before the sort key").to.equal(false);
		expect(servesWithSort({ schoolId: 1, pathId: 1 }, ["studentId"]), "leading field not in the filter").to.equal(false);
	});

	it("every filter the services send while a school works starts from an index of its model", async () => {
		const seen: SeenQuery[] = await recordQueries(async () => {
			const school = await learningSchool();
			const [student, other] = school.students;
			const nameOf = new Map(Object.entries(school.items).map(([name, item]) => [item.id as string, name as ItemName]));
			const pupil = await createUsernameStudent(school.admin, school.school.code);
			const session = await login({ email: school.admin.email!, password: PASSWORD });
			await ok(http("POST", "/api/auth/refresh", { body: { refreshToken: session.refreshToken } }));
			await ok(http("POST", "/api/auth/logout", { token: pupil.token, body: { all: true } }));
			for (const path of ["/api/users?role=student&q=a", "/api/classes", "/api/content-items?status=validated", "/api/invitations?status=pending", "/api/audit?action=auth.login", "/api/school"]) {
				await ok(http("GET", path, { token: school.admin.token }));
			}
			const created = await createPath(school.teacher, {
				studentIds: [student.id, other.id],
				classIds: [school.classId],
				activate: true,
				steps: [
					{ title: "Revise", itemIds: itemIds(school, "capital", "sea", "earth", "rome") },
					{ title: "Quiz", kind: "evaluation", itemIds: itemIds(school, "capital", "sea"), evaluation: { timeLimitSeconds: 300, maxAttempts: 2, passScore: 0.5 } },
				],
			});
			const [revise, quiz] = created.path.steps;
			await ok(http("GET", "/api/learning-paths", { token: student.token }));
			await ok(http("GET", "/api/learning-paths", { token: school.teacher.token }));

			const started = await ok(http("POST", "/api/revision-sessions", { token: student.token, body: { pathId: created.id, stepId: revise.id } }), 201);
			let item = started.item;
			while (item) {
				const answered = await ok(
					http("POST", `/api/revision-sessions/${started.id}/answers`, {
						token: student.token,
						body: { clientId: unique("c"), itemId: item.id, answer: RIGHT[nameOf.get(item.id)!], responseTimeMs: 5000 },
					}),
				);
				item = answered.next;
			}
			await ok(http("POST", `/api/revision-sessions/${started.id}/end`, { token: student.token }));
			for (const token of [student.token, school.teacher.token, school.admin.token]) await ok(http("GET", "/api/revision-sessions", { token }));

			const attempt = await ok(http("POST", "/api/evaluations", { token: student.token, body: { pathId: created.id, stepId: quiz.id } }), 201);
			const answers = attempt.items.map((i: any) => ({ itemId: i.id, answer: RIGHT[nameOf.get(i.id)!], responseTimeMs: 5000 }));
			await ok(http("POST", `/api/evaluations/${attempt.id}/submit`, { token: student.token, body: { answers } }));
			await ok(http("GET", "/api/evaluations", { token: school.teacher.token }));
			await ok(http("GET", "/api/progress/me", { token: student.token }));
			await ok(http("GET", `/api/learning-paths/${created.id}/progress`, { token: school.teacher.token }));
			await ok(http("GET", `/api/classes/${school.classId}/progress`, { token: school.teacher.token }));

			await ok(http("GET", "/api/notifications?unread=true", { token: student.token }));
			await ok(http("GET", "/api/notifications/unread-count", { token: student.token }));
			await ok(http("POST", "/api/notifications/read-all", { token: student.token }));

			// The class's student: a teacher and a student talk when the teacher teaches them.
			const pupilOfClass = school.students[2];
			const conversation = await openConversation(school.teacher, pupilOfClass);
			const sent = (await ok(http("POST", `/api/conversations/${conversation.id}/messages`, { token: school.teacher.token, body: { clientId: unique("m"), text: "Well done" } }), 201)).message;
			await ok(http("GET", `/api/conversations/${conversation.id}/messages?limit=10`, { token: pupilOfClass.token }));
			await ok(http("GET", `/api/conversations/${conversation.id}/messages?before=${sent.id}`, { token: pupilOfClass.token }));
			await ok(http("POST", `/api/conversations/${conversation.id}/read`, { token: pupilOfClass.token, body: { messageId: sent.id } }));
			await ok(http("GET", "/api/conversations", { token: pupilOfClass.token }));
		});

		expect(seen.length, "the flows sent queries").to.be.greaterThan(100);
		const problems: string[] = [];
		const collections = new Set<string>();
		for (const q of seen) {
			collections.add(q.collection);
			if (SCANS_BY_DESIGN.some(s => s.collection === q.collection && s.method === q.method)) continue;
			const model = modelOfCollection(q.collection);
			if (!model) {
				problems.push(`${q.collection}.${q.method}: no model declares this collection`);
				continue;
			}
			if (!indexFor(q.filter, declaredIndexes(model))) problems.push(`${model.modelName}.${q.method}(${JSON.stringify(Object.keys(q.filter))}): no declared index starts with these fields`);
		}
		expect([...new Set(problems)]).to.deep.equal([]);
		// The flows reached the collections the hot paths live in.
		for (const c of ["users", "refreshtokens", "invitations", "subscriptions", "memorystates", "reviewlogs", "revisionsessions", "evaluationattempts", "pathprogresses", "learningpaths", "messages", "conversations", "notifications"]) {
			expect(collections, c).to.include(c);
		}
	});
});

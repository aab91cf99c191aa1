/**
 * `data rights` (issue 16): a person's data exported as a machine-readable archive (by them, or by their
 * school admin for a student); erasure of a person, with what must be kept anonymised; a school's whole
 * data erased once it leaves, after the grace period; retention periods applied. The erasure checks scan
 * EVERY collection of the database, whatever block owns it, for the erased person's personal fields.
 */
import { expect } from "chai";
import { unzipSync, strFromU8 } from "fflate";
import mongoose from "mongoose";
import { AiInteraction } from "../../models/ai-interaction.model.js";
import { AuditEntry } from "../../models/audit-entry.model.js";
import { Notification } from "../../models/notification.model.js";
import { PERSONAL_DATA_PARTS } from "../../services/ops/data-rights-parts.js";
import { createPlatformAdmin, invite, PASSWORD, signupSchool, type Account } from "../support/accounts.js";
import { invoicedSchool, resetClock, saveAccount } from "../support/billing.js";
import { collectionNames } from "../support/db-snapshot.js";
import { createPath, learningSchool, RIGHT, type ItemName, type LearningSchool } from "../support/learning-sessions.js";
import { bootPlatform, http, systemMeta, unique } from "../support/platform.js";

async function ok(res: Promise<{ status: number; body: any; headers?: Headers }>, status = 200): Promise<any> {
	const r = await res;
	expect(r.status, JSON.stringify(r.body)?.slice(0, 500)).to.equal(status);
	return r.body;
}

async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 20_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise(r => setTimeout(r, 100));
	}
}

/** The archive as {path: parsed JSON}. */
async function download(path: string, token: string): Promise<{ status: number; files: Record<string, any>; headers: Headers; body?: any }> {
	const { baseUrl } = await bootPlatform();
	const res = await fetch(baseUrl + path, { headers: { authorization: `Bearer ${token}` } });
	const buf = new Uint8Array(await res.arrayBuffer());
	if (res.status !== 200) return { status: res.status, files: {}, headers: res.headers, body: JSON.parse(Buffer.from(buf).toString("utf8")) };
	const files: Record<string, any> = {};
	for (const [name, bytes] of Object.entries(unzipSync(buf))) files[name] = name.endsWith(".json") ? JSON.parse(strFromU8(bytes)) : strFromU8(bytes);
	return { status: 200, files, headers: res.headers };
}

/** Every document of every collection (whoever owns it) in which one of the needles appears, as `collection/_id: needle`. */
async function occurrences(needles: string[]): Promise<string[]> {
	const db = mongoose.connection.db!;
	const found: string[] = [];
	const lowered = needles.map(n => n.toLowerCase());
	for (const name of await collectionNames()) {
		const docs = await db.collection(name).find({}).toArray();
		for (const doc of docs) {
			const text = JSON.stringify(doc).toLowerCase();
			lowered.forEach((needle, i) => {
				if (text.includes(needle)) found.push(`${name}/${doc._id}: ${needles[i]}`);
			});
		}
	}
	return found;
}

/** Answers the item a revision session shows, rightly. */
function rightAnswer(s: LearningSchool, itemId: string): unknown {
	const name = (Object.keys(s.items) as ItemName[]).find(n => s.items[n].id === itemId)!;
	return RIGHT[name];
}

describe("data rights", function () {
	this.timeout(120_000);
	let s: LearningSchool;
	let student: Account;
	let other: LearningSchool;
	const mark = unique("zq");
	const person = { firstName: `Ysolde${mark}`, lastName: `Quartermaine${mark}` };
	const words = { message: `my secret thoughts ${mark}`, report: `this is rude ${mark}`, question: `why is the sky ${mark}?`, teacherReply: `teacher answer ${mark}` };
	let conversationId = "";
	let teacherMessageId = "";

	before(async () => {
		await bootPlatform();
		s = await learningSchool();
		// students[2] is in the teacher's class: they may message the teacher.
		student = s.students[2];
		other = await learningSchool();
		await ok(http("PATCH", "/api/me", { token: student.token, body: person }));
		// Learning: a path, a revision session with an answer (a review in memory, a memory state, a session).
		const path = await createPath(s.teacher, { studentIds: [student.id], activate: true, steps: [{ title: "Step", itemIds: [s.items.capital.id, s.items.earth.id] }] });
		const session = await ok(http("POST", "/api/revision-sessions", { token: student.token, body: { pathId: path.id, stepId: path.path.steps[0].id } }), 201);
		await ok(http("POST", `/api/revision-sessions/${session.id}/answers`, { token: student.token, body: { clientId: `c-${mark}`, itemId: session.item.id, answer: rightAnswer(s, session.item.id) } }));
		// Chat: the student writes to the teacher (who is offline: a notification with a preview), the teacher
		// answers, the student reports the teacher's message.
		const conversation = await ok(http("POST", "/api/conversations", { token: student.token, body: { userId: s.teacher.id } }), 201);
		conversationId = conversation.id;
		await ok(http("POST", `/api/conversations/${conversationId}/messages`, { token: student.token, body: { clientId: `m1-${mark}`, text: words.message } }), 201);
		const reply = await ok(http("POST", `/api/conversations/${conversationId}/messages`, { token: s.teacher.token, body: { clientId: `m2-${mark}`, text: words.teacherReply } }), 201);
		teacherMessageId = reply.message?.id ?? reply.id;
		await ok(http("POST", `/api/messages/${teacherMessageId}/report`, { token: student.token, body: { reason: words.report } }));
		// An AI tutor exchange, as the tutor archives it (asking needs the embedding model; the archive is what matters here).
		await AiInteraction.create({ schoolId: s.school.id, studentId: student.id, pathId: path.id, question: words.question, answer: "Because of Rayleigh scattering.", mode: "extractive", latencyMs: 12, complexity: { level: 2, name: "understand", source: "heuristic" } });
		// The teacher's notification of the student's message, with its preview, exists before the erasure.
		await waitFor(async () => (await Notification.findOne({ userId: s.teacher.id, "data.senderId": student.id })) ?? null, "the teacher's notification");
	});

	after(() => resetClock());

	it("exports a student's data as a ZIP of JSON files, to them and to their school admin", async () => {
		const mine = await download("/api/me/data-export", student.token);
		expect(mine.status).to.equal(200);
		expect(mine.headers.get("content-type")).to.match(/^application\/zip/);
		expect(mine.headers.get("content-disposition")).to.match(/^attachment; filename="personal-data-[0-9a-f]{24}-\d{4}-\d{2}-\d{2}\.zip"$/);
		const { files } = mine;
		expect(files["manifest.json"]).to.include({ format: "learning-platform-personal-data", version: 1 });
		expect(files["manifest.json"].subject).to.deep.equal({ userId: student.id, schoolId: s.school.id });
		expect(files["README.txt"]).to.be.a("string");
		for (const f of files["manifest.json"].files) expect(files[f.path], f.path).to.have.length(f.records);
		const [profile] = files["users/profile.json"];
		expect(profile).to.include({ id: student.id, ...person, email: student.email });
		expect(profile).not.to.have.any.keys("passwordHash", "loginKey", "sessionVersion");
		expect(files["memory/reviews.json"]).to.have.length(1);
		expect(files["memory/memory_states.json"]).to.have.length(1);
		expect(files["revisions/revision_sessions.json"]).to.have.length(1);
		expect(files["conversations/messages_sent.json"].map((m: any) => m.text)).to.deep.equal([words.message]);
		// Other people's messages are not the student's data: only the preview in the student's own notice of one.
		const holding = Object.entries(files).filter(([, v]) => JSON.stringify(v).includes(words.teacherReply)).map(([k]) => k);
		expect(holding, "other people's messages in the archive").to.deep.equal(["notifications/notifications.json"]);
		expect(files["aiTutor/ai_exchanges.json"].map((x: any) => x.question)).to.deep.equal([words.question]);
		expect(files["notifications/notifications.json"].length).to.be.greaterThan(0);
		expect(files["classes/classes.json"].length).to.be.greaterThan(0);
		expect(files["auth/sessions.json"].length).to.be.greaterThan(0);
		expect(JSON.stringify(files["auth/sessions.json"])).not.to.match(/tokenHash/);

		const byAdmin = await download(`/api/users/${student.id}/data-export`, s.admin.token);
		expect(byAdmin.status).to.equal(200);
		expect(byAdmin.files["manifest.json"].subject.userId).to.equal(student.id);
		expect(byAdmin.files["memory/reviews.json"]).to.have.length(1);
	});

	it("puts the billing account in the export of the person who is its contact, and only theirs", async () => {
		await saveAccount(other.admin, { billingEmail: other.admin.email });
		const contact = await download("/api/me/data-export", other.admin.token);
		expect(contact.status).to.equal(200);
		expect(contact.files["billingAccounts/billing_contact.json"].map((a: any) => a.billingEmail)).to.deep.equal([other.admin.email]);
		expect(contact.files["billingAccounts/billing_contact.json"][0]).not.to.have.any.keys("stripeCustomerId", "defaultPaymentMethodId");
		const teacher = await download("/api/me/data-export", other.teacher.token);
		expect(teacher.files["billingAccounts/billing_contact.json"]).to.deep.equal([]);
	});

	it("lets nobody else export: a teacher, another school's admin, nor an admin for a teacher", async () => {
		expect((await download(`/api/users/${student.id}/data-export`, s.teacher.token)).status).to.equal(403);
		const foreign = await download(`/api/users/${student.id}/data-export`, other.admin.token);
		expect(foreign.status).to.equal(404);
		expect(foreign.body.error.type).to.equal("NOT_FOUND");
		expect((await download(`/api/users/${s.teacher.id}/data-export`, s.admin.token)).status).to.equal(403);
		expect((await download("/api/me/data-export", "not-a-token")).status).to.equal(401);
	});

	it("erases a student on their school's request: no collection keeps their personal fields or words; others' messages stay, anonymised", async () => {
		expect(await occurrences([student.email!, person.firstName, words.message]), "the data exists before").to.have.length.greaterThan(2);
		const refused = await http("POST", `/api/users/${student.id}/erasure`, { token: s.admin.token, body: {} });
		expect(refused.status).to.equal(422);
		const request = await ok(http("POST", `/api/users/${student.id}/erasure`, { token: s.admin.token, body: { confirm: true } }), 202);
		expect(request).to.include({ kind: "user", userId: student.id, status: "pending" });
		expect(request.expectedParts).to.have.members([...PERSONAL_DATA_PARTS]);
		// The account stops at once.
		expect((await http("GET", "/api/me", { token: student.token })).status).to.be.oneOf([401, 403]);
		let last: any;
		const done = await waitFor(async () => {
			const r = (last = await ok(http("GET", `/api/data-rights/erasures/${request.id}`, { token: s.admin.token })));
			return r.status === "completed" ? r : null;
		}, "every part to confirm the erasure").catch(err => {
			throw new Error(`${err.message}; parts done: ${last?.parts.map((p: any) => p.part).join(", ")}`);
		});
		expect(done.parts.map((p: any) => p.part)).to.have.members([...PERSONAL_DATA_PARTS]);
		expect(done.parts.find((p: any) => p.part === "memory").counts).to.include({ reviews: 1, memory_states: 1 });

		// Reporting named the student by id only: their own figures are gone, shared counts name a pseudonym.
		const reporting = (await collectionNames()).filter(name => name.startsWith("reporting_"));
		for (const name of reporting) {
			const docs = await mongoose.connection.db!.collection(name).find({ schoolId: s.school.id }).toArray();
			expect(docs.filter(d => JSON.stringify(d).includes(student.id)).map(d => `${name}: ${d._id}`), "reporting documents naming the erased student").to.deep.equal([]);
		}
		expect(done.parts.find((p: any) => p.part === "reportingFeed").counts.person).to.equal(1);

		const left = await occurrences([student.email!, person.firstName, person.lastName, words.message, words.report, words.question]);
		expect(left, "personal fields or words of the erased student left in the database").to.deep.equal([]);
		// The tombstone: the id other records name, nothing personal.
		const tomb = await mongoose.connection.db!.collection("users").findOne({ _id: new mongoose.Types.ObjectId(student.id) });
		expect(tomb).to.include({ status: "erased", email: null, username: null });
		// The teacher's own message stays in the conversation; their notice of the student's message lost its preview.
		const messages = await ok(http("GET", `/api/conversations/${conversationId}/messages`, { token: s.teacher.token }));
		expect(messages.rows.map((m: any) => m.text)).to.deep.equal([words.teacherReply]);
		const notice = await Notification.findOne({ userId: s.teacher.id, "data.senderId": student.id });
		expect(notice?.body).to.equal("");
		// The register keeps the request, without the identifiers it held for the parts.
		const list = await ok(http("GET", "/api/data-rights/erasures?status=completed", { token: s.admin.token }));
		expect(list.rows.map((r: any) => r.id)).to.include(request.id);
		expect(JSON.stringify(list)).not.to.include(student.email!);
		// Nobody else of another school sees it.
		expect((await http("GET", `/api/data-rights/erasures/${request.id}`, { token: other.admin.token })).status).to.equal(404);
	});

	it("erases a member on their own request, once their password confirms it; the last admin cannot go", async () => {
		const me = s.students[1];
		const wrong = await http("POST", "/api/me/erasure", { token: me.token, body: { password: "not my password" } });
		expect(wrong.status).to.equal(403);
		expect((await http("GET", "/api/me", { token: me.token })).status).to.equal(200);
		const request = await ok(http("POST", "/api/me/erasure", { token: me.token, body: { password: PASSWORD } }), 202);
		await waitFor(async () => (await ok(http("GET", `/api/data-rights/erasures/${request.id}`, { token: s.admin.token }))).status === "completed", "the self erasure");
		expect(await occurrences([me.email!])).to.deep.equal([]);
		const lastAdmin = await http("POST", "/api/me/erasure", { token: other.admin.token, body: { password: PASSWORD } });
		expect(lastAdmin.status).to.equal(409);
		expect((await http("GET", "/api/me", { token: other.admin.token })).status).to.equal(200);
	});

	it("erases a school that leaves once its grace period is over, keeping its invoices as issued", async () => {
		const root = await createPlatformAdmin();
		const billingEmail = `${unique("billing")}@leaving.test`;
		const leaving = await invoicedSchool(root, "2041-04", { account: { billingEmail } });
		resetClock();
		const teacher = await invite(leaving.admin, "teacher");
		await ok(http("POST", "/api/classes", { token: leaving.admin.token, body: { name: unique("Class "), teacherIds: [teacher.id] } }), 201);
		const code = leaving.school.code;
		// The school's admin asks, with the school's code as confirmation; may cancel during the grace period.
		expect((await http("POST", "/api/school/closure", { token: leaving.admin.token, body: { schoolCode: "WRONG" } })).status).to.equal(422);
		const scheduled = await ok(http("POST", "/api/school/closure", { token: leaving.admin.token, body: { schoolCode: code } }), 202);
		expect(scheduled.status).to.equal("scheduled");
		const graceMs = new Date(scheduled.eraseAfter).getTime() - Date.now();
		expect(graceMs).to.be.within(29.9 * 86_400_000, 30 * 86_400_000);
		const { broker } = await bootPlatform();
		await broker.call("dataRights.runDue", {}, { meta: systemMeta() });
		expect((await ok(http("GET", "/api/school/closure", { token: leaving.admin.token }))).status, "not erased before its time").to.equal("scheduled");
		expect((await ok(http("DELETE", "/api/school/closure", { token: leaving.admin.token }))).status).to.equal("cancelled");
		// Platform staff close it with no grace left; the daily job erases it.
		await ok(http("POST", `/api/schools/${leaving.school.id}/closure`, { token: root.token, body: { graceDays: 0 } }), 202);
		const run: any = await broker.call("dataRights.runDue", {}, { meta: systemMeta() });
		expect(run.schoolsErased).to.include(leaving.school.id);
		const register = mongoose.connection.db!.collection("erasurerequests");
		const erasure = await waitFor(async () => register.findOne({ schoolId: new mongoose.Types.ObjectId(leaving.school.id), kind: "school", status: "completed" }), "the school's erasure", 30_000);
		expect(erasure.parts.map((p: any) => p.part)).to.have.members([...PERSONAL_DATA_PARTS]);

		// Every collection: nothing of the school is left but what the law keeps and the register.
		// reporting_invoices: reporting's copy of those invoices (no person named in it), for the platform's revenue history.
		const kept = new Set(["invoices", "creditnotes", "billingdocuments", "payments", "usagerecords", "erasurerequests", "schoolclosures", "reporting_invoices"]);
		const schoolId = new mongoose.Types.ObjectId(leaving.school.id);
		const remaining: string[] = [];
		for (const name of await collectionNames()) {
			const n = await mongoose.connection.db!.collection(name).countDocuments({ $or: [{ schoolId }, { schoolId: leaving.school.id }] });
			if (n > 0 && !kept.has(name)) remaining.push(`${name}: ${n}`);
		}
		expect(remaining, "collections still holding the erased school's documents").to.deep.equal([]);
		expect(await mongoose.connection.db!.collection("schools").countDocuments({ _id: schoolId })).to.equal(0);
		const invoices = await mongoose.connection.db!.collection("invoices").find({ schoolId }).toArray();
		expect(invoices, "invoices are kept for the legal retention, as issued").to.have.length(1);
		expect(invoices[0].number).to.match(/^FA-2041-/);
		expect(await occurrences([leaving.admin.email!, teacher.email!])).to.deep.equal([]);
		// The billing contact survives only on the invoices themselves (sealed by their content hash).
		const contact = (await occurrences([billingEmail])).map(o => o.split("/")[0]);
		expect([...new Set(contact)].filter(c => !["invoices", "creditnotes"].includes(c))).to.deep.equal([]);
		// Its people cannot sign in any more.
		expect((await http("POST", "/api/auth/login", { body: { email: leaving.admin.email, password: PASSWORD } })).status).to.equal(401);
	});

	it("deletes what is past its retention period, and keeps the rest", async () => {
		const old = new Date(Date.now() - 400 * 86_400_000);
		// Written straight to the database: nothing in the platform writes a date in the past.
		const db = mongoose.connection.db!;
		const oldEntry = { _id: new mongoose.Types.ObjectId(), schoolId: new mongoose.Types.ObjectId(other.school.id), action: "test.old", createdAt: old, updatedAt: old };
		await db.collection("auditentries").insertOne(oldEntry);
		const recent = await AuditEntry.create({ schoolId: other.school.id, action: "test.recent" });
		const oldNotice = { _id: new mongoose.Types.ObjectId(), schoolId: new mongoose.Types.ObjectId(other.school.id), userId: new mongoose.Types.ObjectId(other.teacher.id), type: "x", title: "old", body: "", data: {}, sourceId: unique("old"), createdAt: old, updatedAt: old };
		await db.collection("notifications").insertOne(oldNotice);
		const { broker } = await bootPlatform();
		await broker.call("dataRights.runDue", {}, { meta: systemMeta() });
		await waitFor(async () => (await AuditEntry.countDocuments({ _id: oldEntry._id })) === 0 && (await Notification.countDocuments({ _id: oldNotice._id })) === 0, "the retention sweep");
		expect(await AuditEntry.countDocuments({ _id: recent._id })).to.equal(1);
	});
});

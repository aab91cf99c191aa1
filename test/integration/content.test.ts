import { expect } from "chai";
import { invite, signupSchool, type Account, type SchoolFixture } from "../support/accounts.js";
import { callInSchool, createItem, flashcardBody, validatedItem } from "../support/learning-content.js";
import { bootPlatform, http, unique } from "../support/platform.js";

const post = (by: Account, path: string, body: unknown) => http("POST", path, { token: by.token, body });
const patch = (by: Account, path: string, body: unknown) => http("PATCH", path, { token: by.token, body });
const get = (by: Account, path: string) => http("GET", path, { token: by.token });
const mineCount = async (by: Account) => (await get(by, "/api/content-items?mine=true&pageSize=1")).body.total as number;

const SINGLE_CHOICE = {
	kind: "single_choice",
	title: "Spain",
	subject: "Geography",
	prompt: "Capital of Spain?",
	choices: [{ text: "Lisbon" }, { text: "Madrid", correct: true }, { text: "Porto" }],
};

describe("content items", function () {
	this.timeout(60_000);
	let s: SchoolFixture;
	let author: Account;
	let colleague: Account;
	let student: Account;
	let other: SchoolFixture;
	let foreignTeacher: Account;

	before(async () => {
		s = await signupSchool();
		[author, colleague, student] = await Promise.all([invite(s.admin, "teacher"), invite(s.admin, "teacher"), invite(s.admin, "student")]);
		other = await signupSchool();
		foreignTeacher = await invite(other.admin, "teacher");
	});

	it("creates an item owned by the teacher, as a draft of origin teacher whatever the body says", async () => {
		const res = await post(author, "/api/content-items", { ...SINGLE_CHOICE, origin: "ai_generated", tags: ["europe", "europe"] });
		expect(res.status, JSON.stringify(res.body)).to.equal(201);
		expect(res.body).to.include({ ownerId: author.id, schoolId: s.school.id, status: "draft", origin: "teacher", kind: "single_choice", difficulty: 3 });
		expect(res.body.tags).to.deep.equal(["europe"]);
		expect(res.body.choices.map((c: any) => c.id)).to.deep.equal(["a", "b", "c"]);
		expect(res.body.choices[1].correct).to.equal(true);
		expect(res.body).not.to.have.property("importId");
		expect(res.body).not.to.have.property("accepted");
	});

	it("refuses bad inputs with 4xx and stores nothing", async () => {
		const before = await mineCount(author);
		const cases: [unknown, number][] = [
			[{ ...SINGLE_CHOICE, choices: [{ text: "a", correct: true }, { text: "b", correct: true }] }, 422],
			[{ kind: "flashcard", title: "x", subject: "Geo", front: "only a front" }, 422],
			[{ kind: "flashcard", title: "x", subject: "Geo", front: "f", back: "b", choices: [{ text: "a" }, { text: "b" }] }, 422],
			[{ kind: "essay", title: "x", subject: "Geo" }, 422],
			[{ kind: "numeric", title: "x", subject: "Geo", prompt: "?", value: 1, tolerance: -1 }, 422],
			[{ ...flashcardBody(), title: "t".repeat(201) }, 422],
		];
		for (const [body, status] of cases) {
			const res = await post(author, "/api/content-items", body);
			expect(res.status, JSON.stringify(res.body)).to.equal(status);
		}
		expect((await post(student, "/api/content-items", flashcardBody())).status).to.equal(403);
		expect((await http("POST", "/api/content-items", { body: flashcardBody() })).status).to.equal(401);
		expect(await mineCount(author)).to.equal(before);
	});

	it("lets other teachers of the school read validated items only; students read none", async () => {
		const draft = await createItem(author);
		const shared = await validatedItem(author);
		const listed = (await get(colleague, "/api/content-items?pageSize=100")).body.rows.map((i: any) => i.id);
		expect(listed).to.include(shared.id);
		expect(listed).not.to.include(draft.id);
		expect((await get(colleague, `/api/content-items/${shared.id}`)).status).to.equal(200);
		expect((await get(colleague, `/api/content-items/${draft.id}`)).status).to.equal(404);
		// read-only for them
		expect((await patch(colleague, `/api/content-items/${shared.id}`, { title: "mine now" })).status).to.equal(403);
		expect((await post(colleague, `/api/content-items/${shared.id}/status`, { status: "archived" })).status).to.equal(403);
		expect((await http("DELETE", `/api/content-items/${draft.id}`, { token: colleague.token })).status).to.equal(404);
		// admins see everything
		expect((await get(s.admin, `/api/content-items/${draft.id}`)).status).to.equal(200);
		expect((await get(student, "/api/content-items")).status).to.equal(403);
		expect((await get(student, `/api/content-items/${shared.id}`)).status).to.equal(403);
		expect((await get(author, `/api/content-items/${shared.id}`)).body.title).to.equal(shared.title);
	});

	it("filters the list by subject, kind, status, tag, title and ownership", async () => {
		const subject = unique("Subj");
		const a = await createItem(author, flashcardBody({ subject, tags: ["t1"], title: "Alpha card" }));
		const b = await validatedItem(author, { ...SINGLE_CHOICE, subject, title: "Beta question" });
		const ids = async (query: string, who = author) => (await get(who, `/api/content-items?subject=${subject}&${query}`)).body.rows.map((i: any) => i.id);
		expect(await ids("")).to.have.members([a.id, b.id]);
		expect(await ids("kind=flashcard")).to.deep.equal([a.id]);
		expect(await ids("status=validated")).to.deep.equal([b.id]);
		expect(await ids("tag=t1")).to.deep.equal([a.id]);
		expect(await ids("q=beta")).to.deep.equal([b.id]);
		expect(await ids("q=.*")).to.deep.equal([]);
		expect(await ids("mine=true", colleague)).to.deep.equal([]);
		expect((await get(author, "/api/content-items?kind=essay")).status).to.equal(422);
	});

	it("moves items through draft → validated → archived → draft, and refuses other moves (409)", async () => {
		const item = await createItem(author);
		const to = (status: string) => post(author, `/api/content-items/${item.id}/status`, { status });
		expect((await to("draft")).status).to.equal(409);
		expect((await to("validated")).body.status).to.equal("validated");
		expect((await to("validated")).status).to.equal(409);
		expect((await to("archived")).body.status).to.equal("archived");
		expect((await to("validated")).status).to.equal(409);
		expect((await to("draft")).body.status).to.equal("draft");
		expect((await to("published")).status).to.equal(422);
		expect((await get(author, `/api/content-items/${item.id}`)).body.status).to.equal("draft");
	});

	it("edits an item: a validated one goes back to draft, an archived one cannot be edited, bad patches change nothing", async () => {
		const item = await validatedItem(author, { ...SINGLE_CHOICE, explanation: "Madrid since 1561" });
		const res = await patch(author, `/api/content-items/${item.id}`, { prompt: "What is the capital of Spain?", explanation: "" });
		expect(res.status, JSON.stringify(res.body)).to.equal(200);
		expect(res.body).to.include({ prompt: "What is the capital of Spain?", status: "draft", kind: "single_choice" });
		expect(res.body).not.to.have.property("explanation");

		const bad = await patch(author, `/api/content-items/${item.id}`, { choices: [{ text: "x", correct: true }, { text: "y", correct: true }] });
		expect(bad.status).to.equal(422);
		const foreignField = await patch(author, `/api/content-items/${item.id}`, { back: "a flashcard field" });
		expect(foreignField.status).to.equal(422);
		expect((await get(author, `/api/content-items/${item.id}`)).body.choices).to.deep.equal(res.body.choices);

		await post(author, `/api/content-items/${item.id}/status`, { status: "archived" });
		expect((await patch(author, `/api/content-items/${item.id}`, { title: "again" })).status).to.equal(409);
	});

	it("deletes drafts only (409 otherwise, archive instead)", async () => {
		const draft = await createItem(author);
		const validated = await validatedItem(author);
		expect((await http("DELETE", `/api/content-items/${validated.id}`, { token: author.token })).status).to.equal(409);
		expect((await get(author, `/api/content-items/${validated.id}`)).status).to.equal(200);
		expect((await http("DELETE", `/api/content-items/${draft.id}`, { token: author.token })).status).to.equal(200);
		expect((await get(author, `/api/content-items/${draft.id}`)).status).to.equal(404);
	});

	it("tenancy: another school's item ids are 404 for every route, and resolveMany leaves them out", async () => {
		const item = await validatedItem(author);
		expect((await get(foreignTeacher, `/api/content-items/${item.id}`)).status).to.equal(404);
		expect((await patch(foreignTeacher, `/api/content-items/${item.id}`, { title: "x" })).status).to.equal(404);
		expect((await post(foreignTeacher, `/api/content-items/${item.id}/status`, { status: "archived" })).status).to.equal(404);
		expect((await http("DELETE", `/api/content-items/${item.id}`, { token: foreignTeacher.token })).status).to.equal(404);
		expect((await get(other.admin, "/api/content-items?pageSize=100")).body.rows.map((i: any) => i.id)).not.to.include(item.id);
		expect(await callInSchool(other.school.id, "content.resolveMany", { ids: [item.id] })).to.deep.equal([]);
		const after = await get(author, `/api/content-items/${item.id}`);
		expect(after.body).to.include({ title: item.title, status: "validated" });
	});

	it("resolveMany returns full items of the caller's school in the order asked, skipping unknown ids", async () => {
		const a = await createItem(author, { ...SINGLE_CHOICE });
		const b = await createItem(colleague);
		const found = await callInSchool(s.school.id, "content.resolveMany", { ids: [b.id, "65a000000000000000000001", a.id] });
		expect(found.map((i: any) => i.id)).to.deep.equal([b.id, a.id]);
		expect(found[1].choices[1].correct).to.equal(true);
	});

	describe("import errors", () => {
		const CSV = [
			"kind,title,subject,front,back,prompt,choices",
			"flashcard,Italy,Geography,Capital of Italy?,Rome,,",
			"single_choice,Spain,Geography,,,Capital of Spain?,Lisbon|*Madrid|*Porto",
			"flashcard,No back,Geography,Front only,,,",
			"single_choice,France,,,,Capital of France?,*Paris|Lyon",
		].join("\n");

		it("keeps the valid rows in valid_only and reports each invalid one by line", async () => {
			const before = await mineCount(author);
			const res = await post(author, "/api/content-items/import", { format: "csv", text: CSV, mode: "valid_only", subject: "History" });
			expect(res.status, JSON.stringify(res.body)).to.equal(201);
			expect(res.body.created).to.have.length(2);
			expect(res.body.errors.map((e: any) => e.line)).to.deep.equal([3, 4]);
			expect(res.body.errors[0].field).to.equal("choices");
			expect(res.body.errors[1].field).to.equal("back");
			expect(await mineCount(author)).to.equal(before + 2);
			const france = (await get(author, `/api/content-items/${res.body.created[1]}`)).body;
			expect(france).to.include({ title: "France", subject: "History", origin: "imported", status: "draft", ownerId: author.id });
		});

		it("imports nothing in all_or_nothing when a row is invalid (422 with the lines), everything when all are valid", async () => {
			const before = await mineCount(author);
			const rejected = await post(author, "/api/content-items/import", { format: "csv", text: CSV, mode: "all_or_nothing" });
			expect(rejected.status).to.equal(422);
			expect(rejected.body.error.type).to.equal("IMPORT_INVALID");
			expect(rejected.body.error.data.map((e: any) => e.line)).to.include.members([3, 4, 5]);
			expect(await mineCount(author)).to.equal(before);

			const json = JSON.stringify([flashcardBody(), { ...SINGLE_CHOICE, status: "validated", origin: "teacher" }]);
			const ok = await post(author, "/api/content-items/import", { format: "json", text: json, mode: "all_or_nothing" });
			expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
			expect(ok.body).to.deep.include({ errors: [] });
			const second = (await get(author, `/api/content-items/${ok.body.created[1]}`)).body;
			expect(second).to.include({ status: "draft", origin: "imported" });
			expect(await mineCount(author)).to.equal(before + 2);
		});

		it("rejects a file with no valid row, a malformed file or a bad mode (4xx), storing nothing", async () => {
			const before = await mineCount(author);
			const allBad = await post(author, "/api/content-items/import", { format: "json", text: '[{"kind":"flashcard"}]', mode: "valid_only" });
			expect(allBad.status).to.equal(422);
			expect(allBad.body.error.data[0].line).to.equal(1);
			expect((await post(author, "/api/content-items/import", { format: "json", text: "{not json", mode: "valid_only" })).status).to.equal(422);
			expect((await post(author, "/api/content-items/import", { format: "csv", text: "kind,title,colour\n", mode: "valid_only" })).status).to.equal(422);
			expect((await post(author, "/api/content-items/import", { format: "xml", text: "<a/>", mode: "valid_only" })).status).to.equal(422);
			expect((await post(author, "/api/content-items/import", { format: "csv", text: CSV, mode: "some" })).status).to.equal(422);
			expect((await post(student, "/api/content-items/import", { format: "csv", text: CSV, mode: "valid_only" })).status).to.equal(403);
			expect(await mineCount(author)).to.equal(before);
		});

		it("undoes a partly written import when the database fails midway", async () => {
			const { broker } = await bootPlatform();
			const model = (broker.getLocalService("content") as any).model;
			const original = model.insertMany;
			model.insertMany = async function (this: unknown, docs: unknown[], opts: unknown) {
				await original.call(model, docs.slice(0, 2), opts);
				throw new Error("simulated failure after two documents");
			};
			const before = await mineCount(author);
			try {
				const json = JSON.stringify([flashcardBody(), flashcardBody(), flashcardBody()]);
				const res = await post(author, "/api/content-items/import", { format: "json", text: json, mode: "valid_only" });
				expect(res.status).to.be.at.least(500);
			} finally {
				model.insertMany = original;
			}
			expect(await mineCount(author)).to.equal(before);
		});
	});

	describe("items used by an active path", () => {
		let item: any;
		let pathId: string;

		before(async function () {
			item = await validatedItem(author);
			const res = await post(author, "/api/learning-paths", {
				name: unique("Path "),
				subject: "Geography",
				studentIds: [student.id],
				steps: [{ title: "Step 1", itemIds: [item.id] }],
				activate: true,
			});
			expect(res.status, JSON.stringify(res.body)).to.equal(201);
			expect(res.body.status).to.equal("active");
			pathId = res.body.id;
		});

		it("cannot go back to draft, be archived, edited or deleted (409), and can once the path is archived", async () => {
			expect((await post(author, `/api/content-items/${item.id}/status`, { status: "draft" })).status).to.equal(409);
			expect((await post(author, `/api/content-items/${item.id}/status`, { status: "archived" })).status).to.equal(409);
			expect((await patch(author, `/api/content-items/${item.id}`, { back: "Roma" })).status).to.equal(409);
			expect((await http("DELETE", `/api/content-items/${item.id}`, { token: author.token })).status).to.equal(409);
			expect((await get(author, `/api/content-items/${item.id}`)).body).to.include({ status: "validated", back: item.back });

			expect((await post(author, `/api/learning-paths/${pathId}/archive`, {})).status).to.equal(200);
			expect((await post(author, `/api/content-items/${item.id}/status`, { status: "draft" })).status).to.equal(200);
		});
	});
});

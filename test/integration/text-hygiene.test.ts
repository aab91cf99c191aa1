/**
 * `text hygiene` through the API: every place a name enters (profiles, signup, invitations, classes,
 * CSV imports, paths, items) stores it cleaned, chat is cleaned and moderated on its skeleton over REST
 * and WebSocket, lessons go out with sanitised HTML, and the OpenAPI document says so.
 */
import { expect } from "chai";
import { invite, PASSWORD, signupSchool, type SchoolFixture } from "../support/accounts.js";
import { joinChat, openConversation, schoolWithClass, type ChatSchool } from "../support/chat.js";
import { describeChanges, diff, settledSnapshot } from "../support/db-snapshot.js";
import { leaveAll } from "../support/live.js";
import { http, unique } from "../support/platform.js";

const ZWSP = "\u200b";
const RLO = "\u202e";
const PDF = "\u202c";
const CYRILLIC_ES = "\u0441";
/** A name as an attacker would write it: reversed by an override, padded with invisible characters, full-width letters. */
const SPOOFED = `${ZWSP}${RLO}Ａｄａ${PDF}\u3164 `;

describe("text hygiene", function () {
	this.timeout(60_000);
	let fx: SchoolFixture;

	before(async () => {
		fx = await signupSchool();
	});

	describe("names", () => {
		it("are stored cleaned wherever they enter: profile, signup, invitation, class, path, item", async () => {
			const me = await http("PATCH", "/api/me", { token: fx.admin.token, body: { firstName: SPOOFED, lastName: `Lo${ZWSP}velace` } });
			expect(me.status, JSON.stringify(me.body)).to.equal(200);
			expect(me.body).to.include({ firstName: "Ada", lastName: "Lovelace" });

			const signup = await http("POST", "/api/schools/signup", {
				body: {
					school: { name: `  École ${RLO}Ｎｏｒｄ${PDF}${ZWSP} `, timezone: "Europe/Paris" },
					admin: { email: `${unique("adm")}@school.test`, password: PASSWORD, firstName: SPOOFED, lastName: "Admin" },
				},
			});
			expect(signup.status, JSON.stringify(signup.body)).to.equal(201);
			expect(signup.body.school.name).to.equal("École Nord");

			const invitation = await http("POST", "/api/invitations", { token: fx.admin.token, body: { email: `${unique("inv")}@school.test`, role: "teacher", firstName: SPOOFED, lastName: "Teach" } });
			expect(invitation.status, JSON.stringify(invitation.body)).to.equal(201);
			expect(invitation.body.firstName).to.equal("Ada");

			const cls = await http("POST", "/api/classes", { token: fx.admin.token, body: { name: `6${ZWSP}Ｂ ${RLO}`, subject: "Ｍaths", year: "2025-2026" } });
			expect(cls.status, JSON.stringify(cls.body)).to.equal(201);
			expect(cls.body).to.include({ name: "6B", subject: "Maths", year: "2025-2026" });
			// `year` is a string: a number is refused, not stored as one.
			const numericYear = await http("POST", "/api/classes", { token: fx.admin.token, body: { name: unique("C"), year: 2025 } });
			expect(numericYear.status).to.equal(422);
			expect(numericYear.body.error.data.map((p: any) => p.field)).to.deep.equal(["year"]);

			const teacher = await invite(fx.admin, "teacher");
			const item = await http("POST", "/api/content-items", {
				token: teacher.token,
				body: { kind: "flashcard", title: `Capitals${ZWSP}`, subject: "Ｇéographie", tags: [`eu${ZWSP}rope`], front: "France?", back: "Paris" },
			});
			expect(item.status, JSON.stringify(item.body)).to.equal(201);
			expect(item.body).to.include({ title: "Capitals", subject: "Géographie" });
			expect(item.body.tags).to.deep.equal(["europe"]);
			// A filter is cleaned like what it is compared with.
			const found = await http("GET", `/api/content-items?subject=${encodeURIComponent("Ｇéographie")}`, { token: teacher.token });
			expect(found.body.rows.map((r: any) => r.id)).to.include(item.body.id);

			const path = await http("POST", "/api/learning-paths", {
				token: teacher.token,
				body: { name: `${RLO}Path${PDF}`, subject: "Géographie", objectives: [`know${ZWSP}`], steps: [{ title: `Step ${ZWSP}1`, itemIds: [item.body.id] }] },
			});
			expect(path.status, JSON.stringify(path.body)).to.equal(201);
			const stored = (await http("GET", `/api/learning-paths/${path.body.id}`, { token: teacher.token })).body;
			expect(stored).to.include({ name: "Path" });
			expect(stored.objectives).to.deep.equal(["know"]);
			expect(stored.steps[0].title).to.equal("Step 1");
		});

		it("refuses a name that is only invisible characters, and stores nothing", async () => {
			const before = await settledSnapshot();
			for (const [method, path, body] of [
				["PATCH", "/api/me", { firstName: `${ZWSP}${RLO}\u3164` }],
				["POST", "/api/classes", { name: `${ZWSP}\u200d${ZWSP}` }],
				["POST", "/api/invitations", { email: `${unique("inv")}@school.test`, role: "student", firstName: "\u2066\u2069", lastName: "X" }],
			] as const) {
				const res = await http(method, path, { token: fx.admin.token, body });
				expect(res.status, `${method} ${path}`).to.equal(422);
				expect(res.body.error.type).to.equal("VALIDATION_ERROR");
			}
			expect(describeChanges(diff(before, await settledSnapshot()))).to.deep.equal([]);
		});

		it("are cleaned in the students and classes CSV imports too", async () => {
			const username = unique("csv");
			const students = await http("POST", "/api/users/students/import", {
				token: fx.admin.token,
				body: { csv: `username,firstName,lastName,password\n${username},${SPOOFED.trim()},Ｏｎｅ,${PASSWORD}\n` },
			});
			expect(students.status, JSON.stringify(students.body)).to.equal(201);
			expect(students.body.created[0]).to.include({ firstName: "Ada", lastName: "One" });
			const classes = await http("POST", "/api/classes/import", { token: fx.admin.token, body: { csv: `name,year\n${RLO}5Ａ${ZWSP},2025\n`, mode: "all_or_nothing" } });
			expect(classes.status, JSON.stringify(classes.body)).to.be.oneOf([200, 201]);
			const list = await http("GET", "/api/classes?q=5A", { token: fx.admin.token });
			expect(list.body.rows.map((c: any) => c.name)).to.include("5A");
		});
	});

	describe("chat", () => {
		let s: ChatSchool;
		let conversationId = "";

		before(async () => {
			s = await schoolWithClass();
			conversationId = (await openConversation(s.student, s.teacher)).id;
		});

		it("is moderated on the cleaned text: a zero-width space or a lookalike letter does not get a word past", async () => {
			const before = await settledSnapshot();
			for (const text of [`fu${ZWSP}ck`, `fu${CYRILLIC_ES}k`, "ｆｕｃｋ"]) {
				const res = await http("POST", `/api/conversations/${conversationId}/messages`, { token: s.student.token, body: { clientId: unique("m"), text } });
				expect(res.status, text).to.equal(422);
			}
			expect(describeChanges(diff(before, await settledSnapshot()))).to.deep.equal([]);
			const room = await joinChat(s.student, conversationId);
			try {
				const refused = new Promise<any>(resolve => room.onMessage("error", resolve));
				room.send("send", { clientId: "ws-bad", text: `fu${CYRILLIC_ES}k` });
				expect(await refused).to.include({ type: "VALIDATION_ERROR" });
			} finally {
				await leaveAll([room]);
			}
		});

		it("is stored as plain text, cleaned, line breaks kept", async () => {
			const res = await http("POST", `/api/conversations/${conversationId}/messages`, {
				token: s.student.token,
				body: { clientId: unique("m"), text: `  Hello${ZWSP} ${RLO}there${PDF}\r\n<b>not bold</b>  ` },
			});
			expect(res.status, JSON.stringify(res.body)).to.equal(201);
			expect(res.body.message.text).to.equal("Hello there\n<b>not bold</b>");
		});
	});

	describe("lessons", () => {
		it("go out as markdown and as sanitised HTML", async () => {
			const teacher = await invite(fx.admin, "teacher");
			const markdown = "# Volcanoes\n\nThey **erupt**.<script>alert(1)</script>\n\n[more](javascript:alert(1))";
			const created = await http("POST", "/api/content-items", { token: teacher.token, body: { kind: "lesson", title: "Volcanoes", subject: "Geo", markdown } });
			expect(created.status, JSON.stringify(created.body)).to.equal(201);
			expect(created.body.markdown).to.equal(markdown);
			expect(created.body.html).to.include("<h1>Volcanoes</h1>").and.include("<strong>erupt</strong>");
			expect(created.body.html).not.to.match(/<script|javascript:/);
			const got = await http("GET", `/api/content-items/${created.body.id}`, { token: teacher.token });
			expect(got.body.html).to.equal(created.body.html);
			const listed = await http("GET", "/api/content-items?kind=lesson&mine=true", { token: teacher.token });
			expect(listed.body.rows.find((r: any) => r.id === created.body.id).html).to.equal(created.body.html);
		});
	});

	describe("the API document", () => {
		it("says how text is cleaned and that lessons are markdown, and documents answers and CSV formats", async () => {
			const doc = (await http("GET", "/api/openapi.json")).body;
			expect(doc.info.description).to.match(/NFKC/).and.match(/Markdown/).and.match(/plain text/);
			const body = (path: string, method = "post") => doc.paths[path][method].requestBody.content["application/json"].schema;
			expect(body("/api/classes").properties.name).to.include({ type: "string", minLength: 1, maxLength: 120 });
			expect(body("/api/classes").properties.year.description).to.match(/string/);
			expect(body("/api/content-items").properties.markdown.description).to.match(/Markdown/);
			expect(body("/api/conversations/{id}/messages").properties.text.description).to.match(/plain text/i);
			expect(body("/api/revision-sessions/{id}/answers").properties.answer.anyOf).to.have.length(6);
			expect(body("/api/evaluations/{id}/submit").properties.answers.items.properties.answer.anyOf).to.have.length(6);
			expect(doc.paths["/api/users/students/import"].post.description).to.include("username,firstName,lastName,password[,email]");
			expect(body("/api/users/students/import").properties.csv.description).to.include("username,firstName,lastName,password[,email]");
			// No operation that takes parameters documents an empty body.
			for (const [path, ops] of Object.entries<any>(doc.paths)) {
				for (const [method, op] of Object.entries<any>(ops)) {
					const schema = op.requestBody?.content?.["application/json"]?.schema;
					if (schema) expect(Object.keys(schema.properties ?? {}), `${method} ${path}`).not.to.be.empty;
				}
			}
		});
	});
});

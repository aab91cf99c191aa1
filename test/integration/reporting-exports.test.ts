/**
 * `reporting exports`: every dashboard chart is rendered on the server as a valid SVG (librsvg reads it) with
 * its title, period and time zone, an accessible description of the figures, axes with units and marks that
 * carry the data, and as a PNG on request; every table downloads as CSV (period and time zone on each row,
 * spreadsheet formulas neutralised); a class's report is one PDF page with its figures.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { parse } from "node-html-parser";
import sharp from "sharp";
import { parseCsv } from "../../services/shared/csv.js";
import { createPlatformAdmin, type Account } from "../support/accounts.js";
import { bootPlatform, http } from "../support/platform.js";
import { declaredRoutes, fillPath } from "../support/routes.js";
import { withSettings } from "../support/settings-override.js";
import { dashboard, eventually, feedSettled, publish, reportingSchool, revise, type ReportingSchool } from "../support/reporting.js";

const hex = () => randomBytes(12).toString("hex");

describe("reporting exports", function () {
	this.timeout(240_000);
	let a: ReportingSchool;
	let root: Account;
	const today = new Date().toISOString();
	const synthetic = Array.from({ length: 12 }, hex);
	const liveSessionId = hex();

	before(async () => {
		await bootPlatform();
		a = await reportingSchool();
		root = await createPlatformAdmin();
		await revise(a, a.students[2], ["capital", "sea", "earth"]);
		await revise(a, a.students[0], ["everest"]);
		const school = a.school.id;
		const student = a.students[2].id;
		// What the live room, the tutor, billing and LiveKit would have published.
		for (const [i, level] of [1, 2, 2, 4, 6].entries()) {
			await publish("ai.interaction.recorded", { id: `ai.interaction.recorded:${hex()}`, schoolId: school, occurredAt: today, interactionId: hex(), studentId: student, teacherId: a.teacher.id, pathId: a.pathId, subject: "Geography", classIds: [a.classId], mode: "extractive", complexity: level, flagged: i === 4, tokens: 0 });
		}
		await publish("learning.session.completed", { id: `learning.session.completed:${hex()}`, schoolId: school, occurredAt: today, sessionId: hex(), studentId: student, pathId: a.pathId, stepId: a.stepId, teacherId: a.teacher.id, mode: "group", status: "completed", liveSessionId, score: 0.75, successRate: 0.75, timeSpentMs: 300_000, answered: 4, correct: 3 });
		await publish("billing.invoice.created", { id: `billing.invoice.created:${hex()}`, schoolId: school, occurredAt: today, invoiceId: hex(), number: "2026-000007", period: today.slice(0, 7), totalCents: 9_900, amountDueCents: 9_900, currency: "EUR", dueDate: today });
		// A second review of an item, for which the memory model predicted recall (first reviews have no prediction).
		await publish("learning.review.recorded", { id: `learning.review.recorded:${hex()}`, schoolId: school, reviewedAt: today, studentId: student, itemId: a.items.sea.id, pathId: a.pathId, teacherId: a.teacher.id, rating: 1, correct: false, counted: true, first: false, retrievability: 0.7, stability: 0.5, responseTimeMs: 9000, source: "solo" });
		// Twelve more students revising on the path: enough for public figures (k = 10) to show the subject.
		for (const id of synthetic) {
			await publish("learning.review.recorded", { id: `learning.review.recorded:${hex()}`, schoolId: school, reviewedAt: today, studentId: id, itemId: a.items.capital.id, pathId: a.pathId, teacherId: a.teacher.id, rating: 3, correct: true, counted: true, first: true, retrievability: null, stability: 3, responseTimeMs: 3000, source: "solo" });
		}
		// A class whose name a spreadsheet would run as a formula.
		expect((await http("PATCH", `/api/classes/${a.classId}`, { token: a.admin.token, body: { name: "=HYPERLINK(\"http://evil\")" } })).status).to.equal(200);
		await eventually(() => dashboard("/api/reporting/school", a.admin), d => d.summary.reviews === 23 && d.summary.aiQuestions === 5 && d.engagementByClass[0]?.name.startsWith("="));
		await feedSettled();
	});

	/** The SVG is well formed (librsvg renders it), accessible, titled with its period, and draws marks. */
	async function checkSvg(label: string, svg: string, mustShow: string[]): Promise<void> {
		const meta = await sharp(Buffer.from(svg)).metadata();
		expect(meta.format, label).to.equal("svg");
		const root = parse(svg).querySelector("svg")!;
		expect(root, label).to.exist;
		expect(root.getAttribute("role"), label).to.equal("img");
		expect(root.getAttribute("aria-labelledby"), label).to.equal("chart-title chart-desc");
		const title = root.querySelector("title#chart-title")?.text ?? "";
		const desc = root.querySelector("desc#chart-desc")?.text ?? "";
		expect(title.length, `${label} title`).to.be.greaterThan(5);
		expect(desc.length, `${label} description`).to.be.greaterThan(10);
		const marks = root.querySelectorAll("g.role-mark path, g.role-mark line").filter(m => (m.getAttribute("d") ?? "x") !== "");
		expect(marks.length, `${label} marks`).to.be.greaterThan(0);
		const axisTitles = root.querySelectorAll("g.role-axis-title text").map(t => t.text);
		expect(axisTitles.length, `${label} axis titles`).to.be.at.least(2);
		const shown = svg.replace(/&amp;/g, "&").replace(/&apos;/g, "'").replace(/&quot;/g, '"');
		for (const text of mustShow) expect(shown, `${label} shows ${text}`).to.contain(text);
	}

	// Public statistics are cached for minutes: these tests read them fresh (other suites may have asked before).
	const fresh = <T>(run: () => Promise<T>) => withSettings({ reportingPublicCacheSeconds: 0 }, run);

	it("renders every dashboard chart as a valid, accessible SVG that shows its data, and as PNG on request", () => fresh(async () => {
		const d = new Date().toLocaleDateString("en-CA", { timeZone: "Europe/Paris" });
		const expectations: Record<string, { token?: string; show: string[] }> = {
			"students/{id}/charts/reviews": { token: a.students[2].token, show: ["Reviews per day", "Europe/Paris", "Reviews (count)", "6 reviews, 3 right", d] },
			"students/{id}/charts/retention": { token: a.students[2].token, show: ["Recall (% of reviews)", "predicted 70% recall", "0% of the answers were right"] },
			"students/{id}/charts/progress": { token: a.students[2].token, show: ["Steps completed (% of the path)"] },
			"students/{id}/charts/time": { token: a.students[2].token, show: ["Time (minutes)"] },
			"classes/{id}/charts/activity": { token: a.teacher.token, show: ["reviews per day", "Reviews (count)"] },
			"classes/{id}/charts/completion": { token: a.teacher.token, show: ["Students who completed every step (%)", "path"] },
			"classes/{id}/charts/live": { token: a.teacher.token, show: ["Mean score (%)", "1 live sessions", "75%"] },
			"classes/{id}/charts/ai-complexity": { token: a.teacher.token, show: ["5 questions", "mean Bloom level 3", "Questions (count)", "6 create"] },
			"classes/{id}/charts/heatmap": { token: a.teacher.token, show: ["Capital", "Estimated recall (%)", "Test student"] },
			"school/charts/active-users": { token: a.admin.token, show: ["Active users (distinct, count)", "students"] },
			"school/charts/engagement": { token: a.admin.token, show: ["Engagement per class", "=HYPERLINK"] },
			"school/charts/completion": { token: a.admin.token, show: ["Completion per path"] },
			"school/charts/invoices": { token: a.admin.token, show: ["Invoices", "99.00 outstanding"] },
			"platform/charts/mrr": { token: root.token, show: ["Monthly recurring revenue", "99.00"] },
			"platform/charts/schools": { token: root.token, show: ["Schools won and lost", "Schools (count)"] },
			"platform/charts/usage": { token: root.token, show: ["Active students (distinct, count)", a.school.name] },
			"public/charts/activity": { show: ["Reviews per week across schools", "Reviews (count)"] },
			"public/charts/subjects": { show: ["Geography", "Right answers (%)"] },
		};
		const chartRoutes = (await declaredRoutes()).filter(r => r.key.startsWith("GET /api/reporting") && r.path.includes("/charts/"));
		expect(chartRoutes.map(r => r.path.replace("/api/reporting/", "")).sort()).to.deep.equal(Object.keys(expectations).sort());
		for (const route of chartRoutes) {
			const key = route.path.replace("/api/reporting/", "");
			const { token, show } = expectations[key];
			const path = fillPath(route.path, { id: key.startsWith("students") ? a.students[2].id : a.classId });
			const res = await http("GET", path, token ? { token } : {});
			expect(res.status, `${key}: ${String(res.body).slice(0, 300)}`).to.equal(200);
			expect(res.headers.get("content-type")).to.match(/^image\/svg\+xml/);
			await checkSvg(key, res.body, show);
		}
		const png = await fetchBytes(`/api/reporting/classes/${a.classId}/charts/activity?format=png`, a.teacher.token);
		expect(png.type).to.equal("image/png");
		expect(png.bytes.subarray(0, 8).toString("hex")).to.equal("89504e470d0a1a0a");
		const meta = await sharp(png.bytes).metadata();
		expect(meta.format).to.equal("png");
		expect(meta.width).to.be.greaterThan(600);
		// Not a blank image: the bars and text leave many colours.
		const { dominant, channels } = await sharp(png.bytes).stats();
		expect(channels[0].stdev).to.be.greaterThan(10);
		expect(dominant).to.exist;
	}));

	it("exports every table of every dashboard as CSV, each row saying its period and time zone", () => fresh(async () => {
		const tables: Record<string, { path: string; token?: string; tables: string[] }> = {
			student: { path: `/api/reporting/students/${a.students[2].id}/csv`, token: a.students[2].token, tables: ["reviews-per-day", "retention", "paths", "weakest-items"] },
			class: { path: `/api/reporting/classes/${a.classId}/csv`, token: a.teacher.token, tables: ["activity", "completion", "at-risk", "live-sessions", "ai-complexity", "heatmap"] },
			school: { path: "/api/reporting/school/csv", token: a.admin.token, tables: ["active-users", "active-users-weekly", "engagement-classes", "engagement-teachers", "completion", "invoices"] },
			platform: { path: "/api/reporting/platform/csv", token: root.token, tables: ["mrr", "schools", "usage"] },
			public: { path: "/api/reporting/public/csv", tables: ["weeks", "subjects"] },
		};
		for (const [name, t] of Object.entries(tables)) {
			for (const table of t.tables) {
				const res = await http("GET", `${t.path}?table=${table}`, t.token ? { token: t.token } : {});
				expect(res.status, `${name} ${table}`).to.equal(200);
				expect(res.headers.get("content-type")).to.match(/^text\/csv/);
				expect(res.headers.get("content-disposition")).to.contain(`${name}-${table}.csv`);
				const csv = parseCsv(String(res.body));
				expect(csv.header.slice(0, 3), `${name} ${table}`).to.deep.equal(["period_from", "period_to", "time_zone"]);
				for (const row of csv.rows) expect(row.values.time_zone, `${name} ${table}`).to.be.a("string").and.not.equal("");
			}
		}
		const activity = parseCsv(String((await http("GET", `${tables.class.path}?table=activity`, { token: a.teacher.token })).body));
		expect(activity.rows).to.have.length(30);
		expect(activity.rows.reduce((n, r) => n + Number(r.values.reviews), 0)).to.equal(6);
		expect(activity.rows[0].values.time_zone).to.equal("Europe/Paris");
		const heatmap = parseCsv(String((await http("GET", `${tables.class.path}?table=heatmap`, { token: a.teacher.token })).body));
		expect(heatmap.rows.filter(r => r.values.item === "Capital")[0].values.reviews).to.equal("1");
		const engagement = parseCsv(String((await http("GET", "/api/reporting/school/csv?table=engagement-classes", { token: a.admin.token })).body));
		expect(engagement.rows[0].values.class).to.equal(`'=HYPERLINK("http://evil")`);
		const subjects = parseCsv(String((await http("GET", "/api/reporting/public/csv?table=subjects")).body));
		const geography = subjects.rows.find(r => r.values.subject === "Geography");
		expect(Number(geography?.values.students)).to.be.at.least(12);
		// Without a table, the dashboard's main one.
		const main = parseCsv(String((await http("GET", tables.class.path, { token: a.teacher.token })).body));
		expect(main.header).to.include("reviews").and.to.include("active_students");
	}));

	it("public statistics publish a subject of twelve students and keep every smaller group out", () => fresh(async () => {
		const res = await http("GET", "/api/reporting/public");
		const geography = res.body.subjects.find((s: any) => s.subject === "Geography");
		expect(geography.students).to.be.at.least(12);
		for (const s of res.body.subjects) expect(s.students).to.be.at.least(10);
		expect(JSON.stringify(res.body)).not.to.contain(a.school.id);
		// Cached: a second answer within the cache time is the same computation, even with new activity meanwhile.
		await withSettings({ reportingPublicCacheSeconds: 600 }, async () => {
			const first = (await http("GET", "/api/reporting/public")).body;
			await publish("learning.review.recorded", { id: `learning.review.recorded:${hex()}`, schoolId: a.school.id, reviewedAt: new Date().toISOString(), studentId: synthetic[0], itemId: a.items.sea.id, pathId: a.pathId, teacherId: null, rating: 3, correct: true, counted: true, first: false, retrievability: 0.9, stability: 3, responseTimeMs: 1000, source: "solo" });
			await feedSettled();
			expect((await http("GET", "/api/reporting/public")).body.generatedAt).to.equal(first.generatedAt);
		});
	}));

	it("makes a one-page PDF report of a class, with its figures and charts", async () => {
		const pdf = await fetchBytes(`/api/reporting/classes/${a.classId}/pdf`, a.teacher.token);
		expect(pdf.type).to.equal("application/pdf");
		expect(pdf.bytes.subarray(0, 5).toString()).to.equal("%PDF-");
		const { extractText, getDocumentProxy } = await import("unpdf");
		const doc = await getDocumentProxy(new Uint8Array(pdf.bytes), { isEvalSupported: false, verbosity: 0 } as any);
		expect(doc.numPages).to.equal(1);
		const text = ((await extractText(doc, { mergePages: true })).text as unknown as string).replace(/\s+/g, " ");
		expect(text).to.contain("Class report");
		expect(text).to.contain("Europe/Paris");
		expect(text).to.contain("Reviews");
		expect(text).to.contain("Students at risk");
		// The charts are images on the page.
		const { OPS } = (await (await import("unpdf")).getResolvedPDFJS()) as any;
		const ops = await (await doc.getPage(1)).getOperatorList();
		expect(ops.fnArray.filter((f: number) => f === OPS.paintImageXObject).length).to.equal(3);
	});
});

async function fetchBytes(path: string, token: string): Promise<{ type: string; bytes: Buffer }> {
	const { baseUrl } = await bootPlatform();
	const res = await fetch(baseUrl + path, { headers: { authorization: `Bearer ${token}` } });
	expect(res.status, path).to.equal(200);
	return { type: res.headers.get("content-type") ?? "", bytes: Buffer.from(await res.arrayBuffer()) };
}

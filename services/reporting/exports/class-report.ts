/**
 * The one-page PDF report of a class (pdfkit, A4): the figures of the period, three of its charts (rendered as
 * PNG by charts/render.ts) and the students at risk, sized so everything fits on a single page.
 */
import PDFDocument from "pdfkit";
import { renderPng } from "../charts/render.js";
import { CLASS_CHARTS } from "../charts/specs.js";

const pct = (x: number | null) => (x === null ? "n/a" : `${Math.round(x * 100)} %`);

export async function classReportPdf(dashboard: any, schoolName: string | null): Promise<Buffer> {
	const [activity, completion, complexity] = await Promise.all([
		renderPng(CLASS_CHARTS.activity(dashboard), 110),
		renderPng(CLASS_CHARTS.completion(dashboard), 110),
		renderPng(CLASS_CHARTS["ai-complexity"](dashboard), 110),
	]);
	const doc = new PDFDocument({ size: "A4", margins: { top: 30, bottom: 16, left: 36, right: 36 }, autoFirstPage: true, info: { Title: `Class report: ${dashboard.name}`, Subject: `${dashboard.period.from} to ${dashboard.period.to} (${dashboard.period.timeZone})`, Producer: "Learning Platform" } });
	const chunks: Buffer[] = [];
	doc.on("data", (c: Buffer) => chunks.push(c));
	const done = new Promise<Buffer>(resolve => doc.on("end", () => resolve(Buffer.concat(chunks))));

	const left = 36;
	const width = 523;
	doc.font("Helvetica-Bold").fontSize(17).text(`Class report: ${dashboard.name}`, left, 34, { width, lineBreak: false, ellipsis: true });
	doc.font("Helvetica").fontSize(10).fillColor("#444").text(`${schoolName ? `${schoolName} · ` : ""}${dashboard.period.from} to ${dashboard.period.to} (${dashboard.period.days} days, ${dashboard.period.timeZone})`, left, 56, { width, lineBreak: false });
	const s = dashboard.summary;
	const figures: [string, string][] = [
		["Students", `${s.activeStudents} active of ${s.students}`],
		["Reviews", `${s.reviews} (${pct(s.successRate)} right)`],
		["Sessions completed", String(s.sessionsCompleted)],
		["Time revising", `${s.timeSpentMinutes} min`],
		["Steps completed", String(s.stepsCompleted)],
		["Questions to the AI tutor", `${s.aiQuestions} (mean Bloom level ${dashboard.aiComplexity.meanLevel ?? "n/a"})`],
	];
	doc.fillColor("#000").fontSize(10);
	figures.forEach(([label, value], i) => {
		const x = left + (i % 3) * 175;
		const y = 76 + Math.floor(i / 3) * 28;
		doc.font("Helvetica").fillColor("#555").text(label, x, y, { width: 170, lineBreak: false });
		doc.font("Helvetica-Bold").fillColor("#000").text(value, x, y + 12, { width: 170, lineBreak: false, ellipsis: true });
	});
	doc.image(activity, left, 140, { fit: [width, 200], align: "center" });
	doc.image(completion, left, 350, { fit: [width / 2 - 6, 170] });
	doc.image(complexity, left + width / 2 + 6, 350, { fit: [width / 2 - 6, 170] });

	let y = 535;
	doc.font("Helvetica-Bold").fontSize(12).text(`Students at risk (as of ${dashboard.atRisk.asOf})`, left, y, { width, lineBreak: false });
	y += 18;
	const atRisk: any[] = dashboard.atRisk.students;
	doc.fontSize(9);
	if (atRisk.length === 0) doc.font("Helvetica").text("No student at risk.", left, y, { width, lineBreak: false });
	for (const student of atRisk.slice(0, 12)) {
		doc.font("Helvetica-Bold").text(student.name ?? student.studentId, left, y, { width: 150, lineBreak: false, ellipsis: true });
		doc.font("Helvetica").text(student.reasons.map((r: any) => r.detail).join("; "), left + 155, y, { width: width - 155, lineBreak: false, ellipsis: true });
		y += 14;
	}
	if (atRisk.length > 12) doc.font("Helvetica-Oblique").text(`… and ${atRisk.length - 12} more (CSV: at-risk table).`, left, y, { width, lineBreak: false });
	const completionLine = dashboard.completion.map((c: any) => `${c.name}: ${c.completedStudents}/${c.students}`).join(" · ");
	doc.font("Helvetica").fontSize(8).fillColor("#555").text(`Completion: ${completionLine || "no path"}`, left, 790, { width, lineBreak: false, ellipsis: true });
	doc.text(`Generated ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC · at-risk rules: inactive 7 days, falling predicted recall, 3 wrong answers in a row`, left, 802, { width, lineBreak: false, ellipsis: true });
	doc.end();
	return done;
}

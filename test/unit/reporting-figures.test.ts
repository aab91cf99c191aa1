/** The dashboards' pure rules: periods, streaks, students at risk, k-anonymity, CSV safety, chart accessibility, settings. */
import { expect } from "chai";
import { loadSettings } from "../../config/env.js";
import { accessible } from "../../services/reporting/charts/render.js";
import { rate, riskReasons, streak } from "../../services/reporting/dashboards/figures.js";
import { periodOf } from "../../services/reporting/dashboards/period.js";
import { kAnonymous } from "../../services/reporting/dashboards/public.js";
import { failingRun, recallNow } from "../../services/reporting/dashboards/recall.js";
import { toCsv } from "../../services/reporting/exports/tables.js";
import { addDays } from "../../services/reporting/feed/local-time.js";

const TODAY = "2026-03-20";
const series = (entries: [number, Record<string, number>][]) => new Map(entries.map(([back, c]) => [addDays(TODAY, -back), c]));

describe("reporting figures (unit)", () => {
	it("a period defaults to the 30 days ending today in the school's zone and refuses impossible ones", () => {
		const p = periodOf({}, "Pacific/Auckland", new Date("2026-03-19T12:00:00Z"));
		expect([p.from, p.to, p.days.length]).to.deep.equal(["2026-02-19", "2026-03-20", 30]);
		expect(periodOf({ from: "2026-01-01" }, "UTC").to).to.equal("2026-01-30");
		expect(() => periodOf({ from: "2026-02-30" }, "UTC")).to.throw(/calendar date/);
		expect(() => periodOf({ from: "2026-03-02", to: "2026-03-01" }, "UTC")).to.throw(/after/);
		expect(() => periodOf({ from: "2025-01-01", to: "2026-03-01" }, "UTC")).to.throw(/at most 366/);
	});

	it("a streak counts active days up to today, or yesterday while today is still empty", () => {
		expect(streak(series([[0, { rv: 1 }], [1, { rv: 2 }], [2, { ss: 1 }], [4, { rv: 1 }]]), TODAY)).to.equal(3);
		expect(streak(series([[1, { rv: 2 }], [2, { aq: 1 }]]), TODAY)).to.equal(2);
		expect(streak(series([[2, { rv: 2 }]]), TODAY)).to.equal(0);
	});

	it("flags students inactive for a week, with a falling predicted recall, or failing an item three times in a row", () => {
		expect(riskReasons(new Map(), {}, TODAY).map(r => r.code)).to.deep.equal(["never_active"]);
		expect(riskReasons(series([[8, { rv: 3 }]]), {}, TODAY).map(r => r.code)).to.deep.equal(["inactive"]);
		const falling = series([
			[1, { rv: 6, pn: 6, pr: 3.0 }],
			[10, { rv: 6, pn: 6, pr: 5.4 }],
		]);
		expect(riskReasons(falling, {}, TODAY).map(r => r.code)).to.deep.equal(["falling_recall"]);
		const steady = series([
			[1, { rv: 6, pn: 6, pr: 5.1 }],
			[10, { rv: 6, pn: 6, pr: 5.4 }],
		]);
		expect(riskReasons(steady, {}, TODAY)).to.deep.equal([]);
		const h = (k: 0 | 1) => ({ t: new Date(), k, r: null, s: 1 });
		const items = { a: { n: 4, k: 1, h: [h(1), h(0), h(0), h(0)] }, b: { n: 3, k: 2, h: [h(0), h(1), h(0)] } };
		expect(riskReasons(series([[0, { rv: 1 }]]), items, TODAY)).to.deep.equal([{ code: "repeated_failures", detail: "1 item(s) wrong 3 times in a row" }]);
		expect(failingRun(items.b)).to.equal(false);
	});

	it("estimates recall from the last stability and the time since, and says null without one", () => {
		const at = new Date("2026-03-01T00:00:00Z");
		const r = (days: number) => recallNow({ n: 1, k: 1, h: [{ t: at, k: 1, r: null, s: 10 }] }, new Date(at.getTime() + days * 86_400_000))!;
		expect(r(0)).to.be.closeTo(1, 1e-9);
		// FSRS: recall is 90% once the elapsed time equals the stability.
		expect(r(10)).to.be.closeTo(0.9, 1e-6);
		expect(r(30)).to.be.lessThan(r(10));
		expect(recallNow({ n: 0, k: 0, h: [] }, new Date())).to.equal(null);
		expect(rate(1, 0)).to.equal(null);
	});

	it("k-anonymity publishes only groups of at least k people and counts the others", () => {
		const groups = [{ people: 9 }, { people: 10 }, { people: 250 }, { people: 0 }];
		expect(kAnonymous(groups, 10)).to.deep.equal({ published: [{ people: 10 }, { people: 250 }], suppressed: 2 });
	});

	it("CSV cells a spreadsheet would run as a formula become text; lines end with CRLF", () => {
		const csv = toCsv({ columns: ["a", "b", "c", "d"], rows: [["=1+1", "+x", "-2", true], ["@SUM(A1)", null, new Date("2026-01-01T00:00:00Z"), 3.5]] });
		expect(csv).to.equal("a,b,c,d\r\n'=1+1,'+x,'-2,true\r\n'@SUM(A1),,2026-01-01T00:00:00.000Z,3.5\r\n");
	});

	it("a chart's SVG gets a title, a description and role=img, escaped", () => {
		const svg = accessible('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" aria-label="x"><rect/></svg>', { title: "A & B", subtitle: "2026-03, UTC", description: "<3 reviews>" });
		expect(svg).to.equal(
			'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" role="img" aria-labelledby="chart-title chart-desc"><title id="chart-title">A &amp; B (2026-03, UTC)</title><desc id="chart-desc">&lt;3 reviews&gt;</desc><rect/></svg>',
		);
	});

	it("reporting settings: defaults, and no public group under ten people whatever is configured", () => {
		const s = loadSettings({});
		expect([s.reportingBatchSize, s.reportingBatchLingerMs, s.reportingMinGroup, s.reportingPublicCacheSeconds]).to.deep.equal([500, 20, 10, 600]);
		expect(() => loadSettings({ REPORTING_MIN_GROUP: "5" })).to.throw(/REPORTING_MIN_GROUP/);
		expect(() => loadSettings({ REPORTING_BATCH_SIZE: "0" })).to.throw(/REPORTING_BATCH_SIZE/);
		expect(loadSettings({ REPORTING_MIN_GROUP: "25" }).reportingMinGroup).to.equal(25);
	});
});

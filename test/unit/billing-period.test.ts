import { expect } from "chai";
import { dayIndex, localDay, periodBounds, periodOf, previousPeriod, startOfLocalDay } from "../../services/billing/period.js";

const PARIS = "Europe/Paris";

describe("billing periods", () => {
	it("start at local midnight on the 1st in the billing time zone", () => {
		const nov = periodBounds("2026-11", PARIS);
		expect(nov.start.toISOString()).to.equal("2026-10-31T23:00:00.000Z");
		expect(nov.end.toISOString()).to.equal("2026-11-30T23:00:00.000Z");
		expect(nov.days).to.equal(30);
	});

	it("follow daylight saving inside the month (March and October)", () => {
		const march = periodBounds("2026-03", PARIS);
		expect(march.start.toISOString()).to.equal("2026-02-28T23:00:00.000Z");
		expect(march.end.toISOString()).to.equal("2026-03-31T22:00:00.000Z");
		expect(march.days).to.equal(31);
		expect(periodBounds("2026-10", PARIS).end.toISOString()).to.equal("2026-10-31T23:00:00.000Z");
		expect(periodBounds("2028-02", PARIS).days).to.equal(29);
	});

	it("say which period an instant falls in, and which one the run on the 1st invoices", () => {
		expect(periodOf(new Date("2026-11-30T23:30:00Z"), PARIS)).to.equal("2026-12");
		expect(periodOf(new Date("2026-11-30T22:30:00Z"), PARIS)).to.equal("2026-11");
		expect(previousPeriod(new Date("2027-01-01T01:00:00Z"), PARIS)).to.equal("2026-12");
		expect(previousPeriod(new Date("2026-12-01T01:00:00Z"), PARIS)).to.equal("2026-11");
	});

	it("count a change from the start of its local day", () => {
		const nov = periodBounds("2026-11", PARIS);
		expect(dayIndex(new Date("2026-10-01T00:00:00Z"), nov, PARIS)).to.equal(0);
		expect(dayIndex(new Date("2026-11-16T13:00:00Z"), nov, PARIS)).to.equal(15);
		// 23:30 UTC on the 15th is already the 16th in Paris.
		expect(dayIndex(new Date("2026-11-15T23:30:00Z"), nov, PARIS)).to.equal(15);
		expect(dayIndex(new Date("2027-01-01T00:00:00Z"), nov, PARIS)).to.equal(30);
	});

	it("refuse what is not a period, and give local days", () => {
		expect(() => periodBounds("2026-13", PARIS)).to.throw(RangeError);
		expect(() => periodBounds("2026-1", PARIS)).to.throw(RangeError);
		expect(localDay(new Date("2026-12-31T23:30:00Z"), PARIS)).to.equal("2027-01-01");
		expect(startOfLocalDay(2026, 7, 14, PARIS).toISOString()).to.equal("2026-07-13T22:00:00.000Z");
	});
});

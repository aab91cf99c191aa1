import { expect } from "chai";
import { computeInvoice, segmentsOf, type BillingSubject } from "../../services/billing/invoice-amounts.js";
import { periodBounds } from "../../services/billing/period.js";

const PARIS = "Europe/Paris";
const nov = periodBounds("2026-11", PARIS);
const FR = { legalName: "Lycée", country: "FR" };
const rules = { domesticRateBps: 2000 };
const at = (iso: string) => new Date(iso);

function invoice(subject: Partial<BillingSubject>, usage = {}, buyer = FR) {
	const full: BillingSubject = { createdAt: at("2026-01-01T00:00:00Z"), history: [{ at: at("2026-01-01T00:00:00Z"), plan: "essential", modules: [] }], seatsUsed: 10, ...subject };
	return computeInvoice({ subject: full, bounds: nov, timeZone: PARIS, usage, buyer, vatRules: rules });
}

describe("billing invoice amounts", () => {
	it("bills a whole month of a plan at its price, with VAT", () => {
		const inv = invoice({});
		expect(inv.lines).to.have.length(1);
		expect(inv.lines[0]).to.include({ kind: "plan", code: "essential", amountCents: 29900, days: 30, periodDays: 30 });
		expect(inv.lines[0].description).to.equal("Abonnement Essential — novembre 2026");
		expect(inv).to.include({ subtotalCents: 29900, totalCents: 35880 });
		expect(inv.vat).to.include({ scheme: "domestic", rateBps: 2000, amountCents: 5980 });
		expect(inv.checks).to.include({ plan: "essential", seatsUsed: 10, seatsIncluded: 300, daysBilled: 30 });
	});

	it("prorates a plan change by day, the day of the change at the new plan", () => {
		// Upgraded on 16 November at 14:00 Paris: 15 days of Essential, 15 of Campus.
		const inv = invoice({ history: [{ at: at("2026-01-01T00:00:00Z"), plan: "essential", modules: [] }, { at: at("2026-11-16T13:00:00Z"), plan: "campus", modules: [] }] });
		expect(inv.lines.map(l => [l.code, l.days, l.amountCents])).to.deep.equal([
			["essential", 15, 14950],
			["campus", 15, 74950],
		]);
		expect(inv.lines[0].description).to.equal("Abonnement Essential — du 01/11/2026 au 15/11/2026 (15/30 jours)");
		expect(inv.subtotalCents).to.equal(89900);
		expect(inv.checks.plan).to.equal("campus");
	});

	it("bills from the day a subscription starts and up to the day it is canceled", () => {
		const started = invoice({ createdAt: at("2026-11-21T09:00:00Z"), history: [{ at: at("2026-11-21T09:00:00Z"), plan: "essential", modules: [] }] });
		expect(started.lines[0]).to.include({ days: 10, amountCents: 9967 }); // 29900 * 10 / 30 = 9966.67
		const canceled = invoice({ canceledAt: at("2026-11-11T10:00:00Z") });
		expect(canceled.lines[0]).to.include({ days: 10, amountCents: 9967 });
		// Canceled before the end: no seats or usage on terms no longer in force.
		expect(canceled.checks.seatsIncluded).to.equal(0);
	});

	it("bills nothing for a month on the free trial, and bills the paid part after a trial", () => {
		expect(invoice({ history: [{ at: at("2026-01-01T00:00:00Z"), plan: "trial", modules: [] }] }).totalCents).to.equal(0);
		const converted = invoice({ history: [{ at: at("2026-01-01T00:00:00Z"), plan: "trial", modules: [] }, { at: at("2026-11-24T08:00:00Z"), plan: "essential", modules: [] }] });
		expect(converted.lines).to.have.length(1);
		expect(converted.lines[0]).to.include({ code: "essential", days: 7, amountCents: 6977 });
	});

	it("bills add-on modules prorated, never a module the plan includes", () => {
		const inv = invoice({
			history: [
				{ at: at("2026-01-01T00:00:00Z"), plan: "essential", modules: ["ai", "reporting"] },
				{ at: at("2026-11-11T08:00:00Z"), plan: "essential", modules: ["reporting"] },
			],
		});
		// reporting is in Essential; ai added for the first 10 days.
		expect(inv.lines.map(l => [l.kind, l.code, l.days, l.amountCents])).to.deep.equal([
			["plan", "essential", 30, 29900],
			["module", "ai", 10, 16633],
		]);
	});

	it("bills the seats in use at the end of the period beyond those the plan includes", () => {
		const inv = invoice({ seatsUsed: 340 });
		const seats = inv.lines.find(l => l.kind === "extra_seats")!;
		expect(seats).to.include({ quantity: 40, unitAmountCents: 100, amountCents: 4000 });
		expect(seats.description).to.contain("340 utilisés");
		expect(invoice({ seatsUsed: 300 }).lines.find(l => l.kind === "extra_seats")).to.equal(undefined);
	});

	it("bills metered AI tokens beyond what the plan includes, per started block", () => {
		const campus = { history: [{ at: at("2026-01-01T00:00:00Z"), plan: "campus", modules: [] }] };
		expect(invoice(campus, { ai_tokens: 1_500_000 }).lines.find(l => l.kind === "usage")).to.equal(undefined);
		const over = invoice(campus, { ai_tokens: 2_345_001 }).lines.find(l => l.kind === "usage")!;
		expect(over).to.include({ code: "ai_tokens", quantity: 346, unitAmountCents: 2, amountCents: 692 });
	});

	it("applies the school's VAT scheme to the subtotal", () => {
		const be = invoice({}, {}, { legalName: "Athénée", country: "BE", vatNumber: "BE0123456789" } as any);
		expect(be).to.include({ subtotalCents: 29900, totalCents: 29900 });
		const us = invoice({}, {}, { legalName: "School", country: "US" } as any);
		expect(us.vat.scheme).to.equal("export");
		const de = invoice({}, {}, { legalName: "Schule", country: "DE" } as any);
		expect(de.vat).to.include({ scheme: "eu_oss", amountCents: 5681 });
	});

	it("splits the period into the terms in force", () => {
		const segments = segmentsOf(
			{ createdAt: at("2026-11-05T10:00:00Z"), seatsUsed: 0, history: [{ at: at("2026-11-05T10:00:00Z"), plan: "trial", modules: [] }, { at: at("2026-11-05T12:00:00Z"), plan: "campus", modules: [] }] },
			nov,
			PARIS,
		);
		// Two changes on one day: that day is billed at the last terms.
		expect(segments.map(s => [s.plan.id, s.from, s.to])).to.deep.equal([["campus", 4, 30]]);
	});
});

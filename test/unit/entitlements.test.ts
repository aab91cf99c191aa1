import { expect } from "chai";
import { PLANS } from "../../config/plans.js";
import { checkEntitlement, releasable, resizeSeats, seatLimitFor } from "../../services/billing/entitlements.js";

describe("entitlements", () => {
	const trial = PLANS.trial;
	const campus = PLANS.campus;
	const active = { status: "active", seatLimit: 30, seatsUsed: 28 };

	it("allows a module of the plan and seats that fit", () => {
		expect(checkEntitlement(trial, active, { feature: "import", seats: 2 })).to.deep.equal({ allowed: true });
		expect(checkEntitlement(campus, active, { feature: "ai" })).to.deep.equal({ allowed: true });
	});
	it("refuses a module the plan lacks", () => {
		expect(checkEntitlement(trial, active, { feature: "ai" })).to.deep.equal({ allowed: false, reason: "PLAN_FORBIDS" });
	});
	it("refuses an unknown feature rather than allowing it", () => {
		expect(checkEntitlement(campus, active, { feature: "teleport" })).to.deep.equal({ allowed: false, reason: "UNKNOWN_FEATURE" });
	});
	it("refuses seats past the limit, counting exactly to it", () => {
		expect(checkEntitlement(trial, active, { seats: 3 })).to.deep.equal({ allowed: false, reason: "SEAT_LIMIT_REACHED" });
		expect(checkEntitlement(trial, { ...active, seatsUsed: 30 }, { seats: 1 }).reason).to.equal("SEAT_LIMIT_REACHED");
	});
	it("answers inactive before anything else", () => {
		for (const status of ["suspended", "canceled"]) {
			expect(checkEntitlement(campus, { ...active, status }, { feature: "ai", seats: 1 })).to.deep.equal({
				allowed: false,
				reason: "SUBSCRIPTION_INACTIVE",
			});
		}
	});
	it("takes the plan's seats unless overridden", () => {
		expect(seatLimitFor(trial)).to.equal(30);
		expect(seatLimitFor(trial, null)).to.equal(30);
		expect(seatLimitFor(trial, 5)).to.equal(5);
		expect(seatLimitFor(trial, 0)).to.equal(0);
	});
	it("resizes only when the seats taken fit the new limit", () => {
		expect(resizeSeats(10, 30)).to.deep.equal({ seatLimit: 30, seatsFree: 20 });
		expect(resizeSeats(30, 30)).to.deep.equal({ seatLimit: 30, seatsFree: 0 });
		expect(resizeSeats(31, 30)).to.equal(null);
	});
	it("never releases below zero", () => {
		expect(releasable(5, 2)).to.equal(2);
		expect(releasable(1, 3)).to.equal(1);
		expect(releasable(0, 3)).to.equal(0);
	});
});

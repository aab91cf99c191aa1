import { expect } from "chai";
import { ManualClock, systemClock } from "../../services/learning/memory/clock.js";

describe("memory clock", () => {
	it("the system clock tells the real time", () => {
		const before = Date.now();
		const now = systemClock.now().getTime();
		expect(now).to.be.within(before, Date.now());
	});

	it("a manual clock stands still until set or advanced", () => {
		const clock = new ManualClock("2025-03-01T08:00:00Z");
		expect(clock.now().toISOString()).to.equal("2025-03-01T08:00:00.000Z");
		expect(clock.now().toISOString()).to.equal("2025-03-01T08:00:00.000Z");
		clock.advance(90, "m");
		expect(clock.now().toISOString()).to.equal("2025-03-01T09:30:00.000Z");
		clock.advance(2, "d").advance(1500);
		expect(clock.now().toISOString()).to.equal("2025-03-03T09:30:01.500Z");
		clock.set(new Date("2024-12-31T23:59:59Z"));
		expect(clock.now().toISOString()).to.equal("2024-12-31T23:59:59.000Z");
	});

	it("hands out copies, so a caller mutating a Date does not move the clock", () => {
		const clock = new ManualClock(0);
		clock.now().setTime(123456);
		expect(clock.now().getTime()).to.equal(0);
	});

	it("refuses invalid times", () => {
		expect(() => new ManualClock("not a date")).to.throw(RangeError);
		expect(() => new ManualClock(0).advance(Number.NaN)).to.throw(RangeError);
	});
});

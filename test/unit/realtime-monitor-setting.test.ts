import { expect } from "chai";
import { ConfigError, loadSettings } from "../../config/env.js";

describe("realtime monitor setting (REALTIME_MONITOR)", () => {
	const production = { NODE_ENV: "production", JWT_SECRET: "x".repeat(32) };

	it("is on by default outside production", () => {
		expect(loadSettings({}).realtimeMonitor).to.equal(true);
		expect(loadSettings({ NODE_ENV: "test" }).realtimeMonitor).to.equal(true);
		expect(loadSettings({ NODE_ENV: "development", REALTIME_MONITOR: "off" }).realtimeMonitor).to.equal(false);
	});

	it("is off by default in production, on only when set explicitly", () => {
		expect(loadSettings(production).realtimeMonitor).to.equal(false);
		expect(loadSettings({ ...production, REALTIME_MONITOR: "" }).realtimeMonitor).to.equal(false);
		expect(loadSettings({ ...production, REALTIME_MONITOR: "off" }).realtimeMonitor).to.equal(false);
		expect(loadSettings({ ...production, REALTIME_MONITOR: " on " }).realtimeMonitor).to.equal(true);
	});

	for (const value of ["yes", "true", "1", "ON"]) {
		it(`refuses REALTIME_MONITOR=${value} naming the variable`, () => {
			expect(() => loadSettings({ REALTIME_MONITOR: value })).to.throw(ConfigError, "REALTIME_MONITOR");
		});
	}
});

import { expect } from "chai";
import { ConfigError, loadSettings } from "../../config/env.js";

describe("config", () => {
	it("gives working defaults on an empty environment", () => {
		const s = loadSettings({});
		expect(s.port).to.equal(8080);
		expect(s.realtimePort).to.equal(2567);
		expect(s.accessTokenTtlSeconds).to.be.at.most(900);
		expect(s.mongoUrl).to.equal(undefined);
		expect(s.jwtSecret).to.have.length.greaterThan(31);
	});

	for (const [name, value] of [
		["PORT", "abc"],
		["PORT", "70000"],
		["MONGO_URL", "http://example"],
		["NATS_URL", "not a url"],
		["REDIS_URL", "nats://x"],
		["NODE_ENV", "staging"],
		["JWT_SECRET", "short"],
		["ACCESS_TOKEN_TTL_SECONDS", "3600"],
	] as const) {
		it(`refuses ${name}=${value} naming the variable`, () => {
			expect(() => loadSettings({ [name]: value })).to.throw(ConfigError, name);
		});
	}

	it("requires JWT_SECRET in production", () => {
		expect(() => loadSettings({ NODE_ENV: "production" })).to.throw(ConfigError, "JWT_SECRET");
		expect(loadSettings({ NODE_ENV: "production", JWT_SECRET: "x".repeat(32) }).jwtSecret).to.equal("x".repeat(32));
	});

	it("reads lists", () => {
		const s = loadSettings({ SERVICES: "api, users ,", TRUSTED_PROXIES: "10.0.0.1" });
		expect(s.services).to.deep.equal(["api", "users"]);
		expect(s.trustedProxies).to.deep.equal(["10.0.0.1"]);
	});
});

import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { LoginThrottle, type LoginLimits } from "../../services/users/login-throttle.js";
import { openRateLimits, type RateLimits } from "../../services/users/rate-limits.js";
import { requireEnv } from "../support/platform.js";

const limits: LoginLimits = { maxFailures: 3, windowSeconds: 60, ipMaxFailures: 5, accountMaxFailures: 8, accountWindowSeconds: 120, maxBlockSeconds: 200 };
const account = () => `email:${randomBytes(6).toString("hex")}@x.test`;
const address = () => `10.${[...randomBytes(3)].join(".")}`;
const quiet = () => undefined;

/** Fails `n` attempts as the auth service does: an attempt taken, then no success. */
async function fail(throttle: LoginThrottle, who: string, ip: string, n: number) {
	const verdicts = [];
	for (let i = 0; i < n; i++) verdicts.push(await throttle.attempt(who, ip));
	return verdicts;
}

function throttleContract(name: string, open: () => Promise<RateLimits>) {
	describe(`LoginThrottle on ${name}`, () => {
		let store: RateLimits;
		let throttle: LoginThrottle;

		beforeEach(async () => {
			store = await open();
			throttle = new LoginThrottle(store, () => limits);
		});
		afterEach(() => store.close());

		it("gives an (account, address) pair its attempts, then refuses it with the time to wait", async () => {
			const who = account();
			const ip = address();
			const verdicts = await fail(throttle, who, ip, limits.maxFailures);
			expect(verdicts.every(v => v.allowed)).to.equal(true);
			const refused = await throttle.attempt(who, ip);
			expect(refused.allowed).to.equal(false);
			if (!refused.allowed) expect(refused.retryAfter).to.be.within(1, limits.windowSeconds);
			// The same account from another address is still let in: a guesser locks only their own address out.
			expect((await throttle.attempt(who, address())).allowed).to.equal(true);
		});

		it("decides concurrent attempts atomically: never more than the limit of them get through", async () => {
			const who = account();
			const ip = address();
			const verdicts = await Promise.all(Array.from({ length: 25 }, () => throttle.attempt(who, ip)));
			expect(verdicts.filter(v => v.allowed)).to.have.length(limits.maxFailures);
		});

		it("doubles a pair's block each time it runs out again, up to the ceiling", async () => {
			throttle = new LoginThrottle(store, () => ({ ...limits, ipMaxFailures: 100, accountMaxFailures: 100 }));
			const who = account();
			const ip = address();
			await fail(throttle, who, ip, limits.maxFailures);
			const first = await throttle.attempt(who, ip);
			expect(first).to.deep.equal({ allowed: false, retryAfter: limits.windowSeconds });
			// The block ends (as time would end it): the next run-out is blocked twice as long.
			await store.limiter("login-pair", limits.maxFailures, limits.windowSeconds).delete(`${who}|${ip}`);
			await fail(throttle, who, ip, limits.maxFailures);
			expect(await throttle.attempt(who, ip)).to.deep.equal({ allowed: false, retryAfter: 2 * limits.windowSeconds });
			await store.limiter("login-pair", limits.maxFailures, limits.windowSeconds).delete(`${who}|${ip}`);
			await fail(throttle, who, ip, limits.maxFailures);
			expect(await throttle.attempt(who, ip)).to.deep.equal({ allowed: false, retryAfter: limits.maxBlockSeconds });
		});

		it("refuses an address that failed on many accounts, whatever account it tries next, until cleared", async () => {
			const ip = address();
			for (let i = 0; i < limits.ipMaxFailures; i++) expect((await throttle.attempt(account(), ip)).allowed).to.equal(true);
			expect((await throttle.attempt(account(), ip)).allowed).to.equal(false);
			expect((await throttle.attempt(account(), address())).allowed).to.equal(true);
			await throttle.clearAddress(ip);
			expect((await throttle.attempt(account(), ip)).allowed).to.equal(true);
		});

		it("keeps a ceiling per account over all addresses (distributed guessing)", async () => {
			const who = account();
			for (let i = 0; i < limits.accountMaxFailures; i++) expect((await throttle.attempt(who, address())).allowed, `attempt ${i + 1}`).to.equal(true);
			const refused = await throttle.attempt(who, address());
			expect(refused.allowed).to.equal(false);
			if (!refused.allowed) expect(refused.retryAfter).to.be.within(1, limits.accountWindowSeconds);
		});

		it("counts only failures in the end: a success gives its attempt back and clears the pair", async () => {
			const who = account();
			const ip = address();
			for (let round = 0; round < 2; round++) {
				await fail(throttle, who, ip, limits.maxFailures - 1);
				expect((await throttle.attempt(who, ip)).allowed, `round ${round + 1}`).to.equal(true);
				await throttle.succeeded(who, ip);
			}
			// 6 attempts from the address, 2 of them given back by successes: 4 failures, the 5th is let in, the 6th not.
			expect((await throttle.attempt(account(), ip)).allowed).to.equal(true);
			expect((await throttle.attempt(account(), ip)).allowed).to.equal(false);
			// …while a school's morning of successful logins from one address never is.
			const school = address();
			for (let i = 0; i < limits.ipMaxFailures * 3; i++) {
				const student = account();
				expect((await throttle.attempt(student, school)).allowed).to.equal(true);
				await throttle.succeeded(student, school);
			}
		});

		it("works without a client address", async () => {
			const who = account();
			for (let i = 0; i < limits.maxFailures; i++) await throttle.attempt(who);
			expect((await throttle.attempt(who)).allowed).to.equal(false);
		});
	});
}

throttleContract("memory (no REDIS_URL)", () => openRateLimits(quiet, { redisUrl: undefined, prefix: "t:" }));
throttleContract("Redis", () => openRateLimits(quiet, { redisUrl: requireEnv("REDIS_URL"), prefix: `lp:test:${randomBytes(4).toString("hex")}:` }));

describe("LoginThrottle on Redis, shared by two nodes", () => {
	it("counts one pair's attempts together, whichever node takes them", async () => {
		const prefix = `lp:test:${randomBytes(4).toString("hex")}:`;
		const [a, b] = await Promise.all([openRateLimits(quiet, { redisUrl: requireEnv("REDIS_URL"), prefix }), openRateLimits(quiet, { redisUrl: requireEnv("REDIS_URL"), prefix })]);
		try {
			const [ta, tb] = [new LoginThrottle(a, () => limits), new LoginThrottle(b, () => limits)];
			const who = account();
			const ip = address();
			const verdicts = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? ta : tb).attempt(who, ip)));
			expect(verdicts.filter(v => v.allowed)).to.have.length(limits.maxFailures);
			expect(a.fallbackCount + b.fallbackCount).to.equal(0);
		} finally {
			await Promise.all([a.close(), b.close()]);
		}
	});
});

describe("LoginThrottle with Redis down", () => {
	it("throttles from memory, without hanging or throwing, and warns", async () => {
		const warnings: string[] = [];
		const began = Date.now();
		const store = await openRateLimits(message => warnings.push(message), { redisUrl: "redis://127.0.0.1:1", prefix: "t:", waitMs: 300 });
		try {
			const throttle = new LoginThrottle(store, () => limits);
			const who = account();
			await fail(throttle, who, "10.0.0.1", limits.maxFailures);
			expect((await throttle.attempt(who, "10.0.0.1")).allowed).to.equal(false);
			expect((await throttle.attempt(who, "10.0.0.2")).allowed).to.equal(true);
			await throttle.succeeded(who, "10.0.0.2");
			expect(Date.now() - began).to.be.below(2000);
			expect(store.fallbackCount).to.be.above(0);
			expect(warnings).to.include("Rate limits: Redis unavailable, counting in this process only");
		} finally {
			await store.close();
		}
	});
});

import { expect } from "chai";
import { Redis } from "ioredis";
import { randomBytes } from "node:crypto";
import { FailSafeThrottleStore, openFailSafeRedisStore } from "../../services/users/failsafe-throttle-store.js";
import { LoginThrottle, MemoryThrottleStore, RedisThrottleStore, type Counter, type ThrottleStore } from "../../services/users/login-throttle.js";
import { requireEnv } from "../support/platform.js";

const limits = { maxFailures: 3, windowSeconds: 60, ipMaxFailures: 5 };

function throttleContract(name: string, makeStore: () => ThrottleStore) {
	describe(`LoginThrottle over ${name}`, () => {
		let store: ThrottleStore;
		let throttle: LoginThrottle;
		const key = () => `email:${randomBytes(6).toString("hex")}@x.test`;
		const ip = () => `10.${randomBytes(3).join(".")}`;

		beforeEach(() => {
			store = makeStore();
			throttle = new LoginThrottle(store, () => limits);
		});
		afterEach(() => store.close());

		it("allows attempts below the account limit and blocks at it, with the window left", async () => {
			const account = key();
			for (let i = 0; i < limits.maxFailures - 1; i++) await throttle.recordFailure(account, ip());
			expect(await throttle.check(account, ip())).to.deep.equal({ allowed: true });
			await throttle.recordFailure(account, ip());
			const verdict = await throttle.check(account, ip());
			expect(verdict.allowed).to.equal(false);
			if (!verdict.allowed) expect(verdict.retryAfter).to.be.within(1, limits.windowSeconds);
		});

		it("blocks an address that failed on many accounts, whatever account it tries next", async () => {
			const address = ip();
			for (let i = 0; i < limits.ipMaxFailures; i++) await throttle.recordFailure(key(), address);
			expect((await throttle.check(key(), address)).allowed).to.equal(false);
			expect((await throttle.check(key(), ip())).allowed).to.equal(true);
			await throttle.clearAddress(address);
			expect((await throttle.check(key(), address)).allowed).to.equal(true);
		});

		it("clears the account count on success but keeps the address count", async () => {
			const account = key();
			const address = ip();
			for (let i = 0; i < limits.maxFailures; i++) await throttle.recordFailure(account, address);
			await throttle.recordSuccess(account);
			expect((await throttle.check(account, ip())).allowed).to.equal(true);
			expect((await store.get(`ip:${address}`)).count).to.equal(limits.maxFailures);
		});

		it("counts within a fixed window", async () => {
			const k = `acct:${key()}`;
			const first = await store.increment(k, 30);
			const second = await store.increment(k, 30);
			expect(first.count).to.equal(1);
			expect(second.count).to.equal(2);
			expect(second.ttlSeconds).to.be.within(1, 30);
			expect(await store.get(`acct:${key()}`)).to.deep.equal({ count: 0, ttlSeconds: 0 });
		});

		it("works without a client address", async () => {
			const account = key();
			for (let i = 0; i < limits.maxFailures; i++) await throttle.recordFailure(account);
			expect((await throttle.check(account)).allowed).to.equal(false);
		});
	});
}

throttleContract("memory", () => new MemoryThrottleStore());

describe("MemoryThrottleStore", () => {
	it("forgets counts when the window ends", async () => {
		let now = 1_000_000;
		const store = new MemoryThrottleStore(() => now);
		await store.increment("k", 10);
		now += 9_000;
		expect(await store.get("k")).to.deep.equal({ count: 1, ttlSeconds: 1 });
		now += 1_000;
		expect((await store.get("k")).count).to.equal(0);
		expect((await store.increment("k", 10)).count).to.equal(1);
	});

	it("stays bounded when flooded with keys", async () => {
		const store = new MemoryThrottleStore(Date.now, 100);
		for (let i = 0; i < 1000; i++) await store.increment(`ip:${i}`, 60);
		expect((store as any).counters.size).to.be.at.most(100);
	});
});

describe("RedisThrottleStore", () => {
	const clients: Redis[] = [];
	const prefix = `lp:test:${randomBytes(4).toString("hex")}:`;
	const make = () => {
		const client = new Redis(requireEnv("REDIS_URL"), { lazyConnect: false, maxRetriesPerRequest: 2 });
		clients.push(client);
		return new RedisThrottleStore(client, prefix);
	};

	throttleContract("Redis", make);

	it("shares counts between nodes and expires them with the window", async () => {
		const a = make();
		const b = make();
		try {
			await a.increment("acct:shared", 1);
			expect((await b.increment("acct:shared", 1)).count).to.equal(2);
			const ttl = await clients[clients.length - 1].pttl(`${prefix}acct:shared`);
			expect(ttl).to.be.within(1, 1000);
		} finally {
			await a.close();
			await b.close();
		}
	});
});

describe("FailSafeThrottleStore", () => {
	const account = () => `email:${randomBytes(6).toString("hex")}@x.test`;
	/** A shared store that says it is connected but whose every command fails. */
	const broken = (): ThrottleStore => ({
		available: () => true,
		increment: () => Promise.reject(new Error("READONLY")),
		get: () => Promise.reject(new Error("READONLY")),
		reset: () => Promise.reject(new Error("READONLY")),
		close: async () => undefined,
	});

	it("throttles from memory, without hanging or throwing, when Redis is unreachable", async () => {
		const warnings: string[] = [];
		const began = Date.now();
		const store = await openFailSafeRedisStore("redis://127.0.0.1:1", "lp:test:", message => warnings.push(message), 300);
		try {
			const throttle = new LoginThrottle(store, () => limits);
			const who = account();
			for (let i = 0; i < limits.maxFailures; i++) await throttle.recordFailure(who, "10.0.0.1");
			expect((await throttle.check(who, "10.0.0.1")).allowed).to.equal(false);
			await throttle.recordSuccess(who);
			expect((await throttle.check(who)).allowed).to.equal(true);
			expect(Date.now() - began).to.be.below(2000);
			expect(store.fallbackCount).to.be.above(0);
			expect(warnings).to.include("Login throttle: shared store unavailable, counting in this process only");
		} finally {
			await store.close();
		}
	});

	it("answers a failing command from memory with one warning, and uses the shared store when it works", async () => {
		const warnings: string[] = [];
		const failing = new FailSafeThrottleStore(broken(), message => warnings.push(message));
		const who = account();
		expect((await failing.increment(who, 60)).count).to.equal(1);
		expect((await failing.increment(who, 60)).count).to.equal(2);
		expect(await failing.get(who)).to.include({ count: 2 });
		expect(warnings).to.have.length(1);

		const shared = new MemoryThrottleStore();
		const working = new FailSafeThrottleStore(shared, message => warnings.push(message));
		const counter: Counter = await working.increment(who, 60);
		expect(counter.count).to.equal(1);
		expect((await shared.get(who)).count).to.equal(1);
		expect(working.fallbackCount).to.equal(0);
	});
});

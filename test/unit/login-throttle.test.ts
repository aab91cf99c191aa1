import { expect } from "chai";
import { Redis } from "ioredis";
import { randomBytes } from "node:crypto";
import { LoginThrottle, MemoryThrottleStore, RedisThrottleStore, type ThrottleStore } from "../../services/users/login-throttle.js";
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

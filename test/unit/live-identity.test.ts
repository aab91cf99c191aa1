import { expect } from "chai";
import { IdentityCache, type AccountState, type SchoolState } from "../../services/shared/live-identity.js";

const USER = "64b000000000000000000001";
const SCHOOL = "64b0000000000000000000aa";

function fixture(ttlMs = 60_000) {
	const state = {
		account: { id: USER, schoolId: SCHOOL, roles: ["teacher"], status: "active", sv: 3 } as AccountState | null,
		school: { status: "active" } as SchoolState | null,
		fail: false,
		gate: undefined as Promise<void> | undefined,
	};
	const cache = new IdentityCache(
		{
			account: async () => {
				const snapshot = state.account && { ...state.account };
				if (state.gate) await state.gate;
				if (state.fail) throw new Error("users service unreachable");
				return snapshot;
			},
			school: async () => state.school && { ...state.school },
		},
		() => ttlMs,
	);
	return { state, cache };
}

const token = (extra: Partial<{ sv: number; roles: string[]; schoolId: string | null }> = {}) => ({ id: USER, schoolId: SCHOOL, roles: ["teacher"] as any, sv: 3, ...extra });

describe("live identity (IdentityCache)", () => {
	it("admits a token that matches the account and its school, with the current roles", async () => {
		const { cache } = fixture();
		expect(await cache.evaluate(token())).to.deep.equal({ ok: true, user: { id: USER, schoolId: SCHOOL, roles: ["teacher"], sv: 3 } });
	});

	it("names why a token no longer stands", async () => {
		const { state, cache } = fixture(0);
		expect(await cache.evaluate(token({ sv: 2 }))).to.deep.equal({ ok: false, reason: "session_ended" });
		expect(await cache.evaluate(token({ sv: 2, roles: ["student"] }))).to.deep.equal({ ok: false, reason: "roles_changed" });
		expect(await cache.evaluate(token({ schoolId: "64b0000000000000000000bb" }))).to.deep.equal({ ok: false, reason: "gone" });
		state.school = { status: "suspended" };
		expect(await cache.evaluate(token())).to.deep.equal({ ok: false, reason: "school_suspended" });
		state.account = { ...state.account!, status: "suspended" };
		expect(await cache.evaluate(token())).to.deep.equal({ ok: false, reason: "suspended" });
		state.account = null;
		expect(await cache.evaluate(token())).to.deep.equal({ ok: false, reason: "gone" });
		expect(await cache.evaluate({ ...token(), id: "system" })).to.deep.equal({ ok: false, reason: "gone" });
	});

	it("answers from the cache until the TTL, and at once after an invalidation", async () => {
		const { state, cache } = fixture();
		await cache.evaluate(token());
		const loads = cache.loads;
		state.account = { ...state.account!, status: "suspended" };
		expect((await cache.evaluate(token())).ok, "cached").to.equal(true);
		expect(cache.loads).to.equal(loads);
		cache.invalidate({ userId: USER });
		expect(await cache.evaluate(token())).to.deep.equal({ ok: false, reason: "suspended" });
		state.school = { status: "suspended" };
		cache.invalidate({ schoolId: SCHOOL });
		state.account = { ...state.account!, status: "active" };
		cache.invalidate({ userId: USER });
		expect(await cache.evaluate(token())).to.deep.equal({ ok: false, reason: "school_suspended" });
	});

	it("shares one load between concurrent calls, and never stores a load an invalidation overtook", async () => {
		const { state, cache } = fixture();
		let open!: () => void;
		state.gate = new Promise(resolve => (open = resolve));
		const before = cache.loads;
		const inFlight = [cache.evaluate(token()), cache.evaluate(token())];
		await new Promise(r => setImmediate(r));
		expect(cache.loads - before, "one load for both").to.equal(1);
		// The account changes while the load (which read the old state) is in flight.
		state.account = { ...state.account!, status: "suspended" };
		cache.invalidate({ userId: USER });
		state.gate = undefined;
		open();
		await Promise.all(inFlight);
		expect(await cache.evaluate(token())).to.deep.equal({ ok: false, reason: "suspended" });
	});

	it("refuses (throws) rather than admits when the account cannot be read", async () => {
		const { state, cache } = fixture();
		state.fail = true;
		const err = await cache.check(token()).then(
			() => null,
			e => e,
		);
		expect(err?.message).to.match(/unreachable/);
	});
});

import { expect } from "chai";
import { hashPassword, verifyAgainstDummy, verifyPassword } from "../../services/users/password.js";

describe("password hashing", () => {
	it("stores scrypt$N$r$p$salt$hash with a 16-byte salt and a 64-byte key", async () => {
		const stored = await hashPassword("correct horse battery");
		const [scheme, N, r, p, salt, key] = stored.split("$");
		expect([scheme, N, r, p]).to.deep.equal(["scrypt", "16384", "8", "1"]);
		expect(Buffer.from(salt, "base64url")).to.have.length(16);
		expect(Buffer.from(key, "base64url")).to.have.length(64);
	});

	it("verifies the right password and refuses a wrong one", async () => {
		const stored = await hashPassword("correct horse battery");
		expect(await verifyPassword("correct horse battery", stored)).to.equal(true);
		expect(await verifyPassword("correct horse batterY", stored)).to.equal(false);
	});

	it("salts every hash", async () => {
		expect(await hashPassword("same password!")).to.not.equal(await hashPassword("same password!"));
	});

	it("refuses malformed or hostile stored hashes instead of throwing", async () => {
		const good = await hashPassword("correct horse battery");
		const parts = good.split("$");
		for (const bad of ["", "plain", "bcrypt$1$2$3$4$5", [parts[0], "1000", ...parts.slice(2)].join("$"), [parts[0], String(1 << 24), ...parts.slice(2)].join("$"), [...parts.slice(0, 5), ""].join("$")]) {
			expect(await verifyPassword("correct horse battery", bad), bad).to.equal(false);
		}
	});

	it("treats canonically equivalent unicode the same", async () => {
		const stored = await hashPassword("caf\u00e9 au lait!");
		expect(await verifyPassword("cafe\u0301 au lait!", stored)).to.equal(true);
	});

	it("spends a real verification on a missing account and always says no", async () => {
		await verifyAgainstDummy("warm up the dummy");
		const started = process.hrtime.bigint();
		expect(await verifyAgainstDummy("anything at all")).to.equal(false);
		const dummyMs = Number(process.hrtime.bigint() - started) / 1e6;
		const stored = await hashPassword("x".repeat(12));
		const t0 = process.hrtime.bigint();
		await verifyPassword("y".repeat(12), stored);
		const realMs = Number(process.hrtime.bigint() - t0) / 1e6;
		expect(dummyMs).to.be.greaterThan(realMs / 4);
	});
});

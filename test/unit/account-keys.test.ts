import { expect } from "chai";
import { accountKeys, attemptKey, emailKey } from "../../services/users/account-keys.js";
import { generateSchoolCode, normalizeSchoolCode, SCHOOL_CODE_ALPHABET } from "../../services/users/school-code.js";
import { isValidTimezone } from "../../services/users/timezone.js";
import { hashToken, newOpaqueToken } from "../../services/users/opaque-token.js";

describe("account keys", () => {
	const school = "65a000000000000000000001";
	it("makes email keys case-insensitive", () => {
		expect(emailKey(" Ada@School.TEST ")).to.equal(emailKey("ada@school.test"));
	});
	it("keys email users by email and gives them an id-based username key", () => {
		expect(accountKeys("u1", school, "A@b.c", null)).to.deep.equal({ loginKey: "email:a@b.c", usernameKey: "id:u1" });
	});
	it("keys username students by school and lower-cased username", () => {
		const keys = accountKeys("u2", school, undefined, "Pupil.One");
		expect(keys).to.deep.equal({ loginKey: `user:${school}:pupil.one`, usernameKey: `user:${school}:pupil.one` });
	});
	it("keeps both keys for a student with an email and a username", () => {
		expect(accountKeys("u3", school, "p@x.y", "pupil")).to.deep.equal({ loginKey: "email:p@x.y", usernameKey: `user:${school}:pupil` });
	});
	it("refuses an account with neither", () => {
		expect(() => accountKeys("u4", school, null, null)).to.throw();
		expect(() => accountKeys("u4", null, null, "staff")).to.throw();
	});
	it("derives the same throttle key whatever the case", () => {
		expect(attemptKey({ email: "X@Y.z" })).to.equal(attemptKey({ email: "x@y.z" }));
		expect(attemptKey({ schoolCode: "abc123", username: "Bob" })).to.equal("user:ABC123:bob");
	});
});

describe("school codes", () => {
	it("are 6 characters from an alphabet without look-alikes", () => {
		for (let i = 0; i < 200; i++) {
			const code = generateSchoolCode();
			expect(code).to.have.length(6);
			for (const c of code) expect(SCHOOL_CODE_ALPHABET).to.include(c);
		}
		expect(SCHOOL_CODE_ALPHABET).to.not.match(/[01OIL]/);
	});
	it("normalise what people type", () => {
		expect(normalizeSchoolCode(" abc-12 3")).to.equal("ABC123");
	});
});

describe("time zones", () => {
	it("accepts IANA names and refuses the rest", () => {
		expect(isValidTimezone("Europe/Paris")).to.equal(true);
		expect(isValidTimezone("America/Argentina/Buenos_Aires")).to.equal(true);
		expect(isValidTimezone("Mars/Olympus")).to.equal(false);
		expect(isValidTimezone("")).to.equal(false);
	});
});

describe("opaque tokens", () => {
	it("are 32 random bytes in base64url, stored as a sha256", () => {
		const token = newOpaqueToken();
		expect(token).to.match(/^[A-Za-z0-9_-]{43}$/);
		expect(newOpaqueToken()).to.not.equal(token);
		expect(hashToken(token)).to.match(/^[0-9a-f]{64}$/).and.to.equal(hashToken(token));
	});
});

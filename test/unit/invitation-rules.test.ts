import { expect } from "chai";
import { boundedData, MAX_AUDIT_DATA_CHARS } from "../../services/users/audit-data.js";
import { closedSlot, invitationLink, invitationMail, pendingSlot, redeemRefusal, seatsFor } from "../../services/users/invitation-rules.js";

describe("invitation rules", () => {
	it("takes a seat for teachers and students, none for school admins", () => {
		expect([seatsFor("teacher"), seatsFor("student"), seatsFor("school_admin")]).to.deep.equal([1, 1, 0]);
	});
	it("gives one pending slot per school and email, and unique closed slots", () => {
		expect(pendingSlot("s1", "Ada@X.test")).to.equal(pendingSlot("s1", "ada@x.test"));
		expect(pendingSlot("s1", "a@x.test")).to.not.equal(pendingSlot("s2", "a@x.test"));
		expect(closedSlot()).to.not.equal(closedSlot());
	});
	it("builds the link from the public URL", () => {
		expect(invitationLink("https://lp.test/", "abc_-1")).to.equal("https://lp.test/accept-invitation?token=abc_-1");
	});
	it("mails the link and the expiry", () => {
		const mail = invitationMail({ schoolName: "Lycée", role: "school_admin", link: "http://x/accept-invitation?token=t", expiresAt: new Date(0) });
		expect(mail.subject).to.contain("Lycée");
		expect(mail.text).to.contain("http://x/accept-invitation?token=t").and.contain("school admin");
	});
	it("explains why a token cannot be redeemed", () => {
		const future = new Date(Date.now() + 60_000);
		const past = new Date(Date.now() - 60_000);
		const refusal = (found: any) => {
			const err = redeemRefusal(found);
			return [err.code, err.type];
		};
		expect(refusal(null)).to.deep.equal([404, "NOT_FOUND"]);
		expect(refusal({ status: "accepted", expiresAt: future })).to.deep.equal([410, "TOKEN_USED"]);
		expect(refusal({ status: "revoked", expiresAt: future })).to.deep.equal([410, "TOKEN_EXPIRED"]);
		expect(refusal({ status: "expired", expiresAt: past })).to.deep.equal([410, "TOKEN_EXPIRED"]);
		expect(refusal({ status: "pending", expiresAt: past })).to.deep.equal([410, "TOKEN_EXPIRED"]);
	});
});

describe("audit data", () => {
	it("keeps small data and renames keys MongoDB would read as operators", () => {
		expect(boundedData({ a: 1, $where: "x", nested: { "a.b": [{ $gt: 1 }] } })).to.deep.equal({
			a: 1,
			_where: "x",
			nested: { a_b: [{ _gt: 1 }] },
		});
		expect(boundedData(undefined)).to.equal(undefined);
	});
	it("truncates large data", () => {
		const out = boundedData({ big: "x".repeat(MAX_AUDIT_DATA_CHARS) });
		expect(out?.truncated).to.equal(true);
		expect(String(out?.preview).length).to.be.at.most(512);
	});
	it("survives data that cannot be serialised", () => {
		const cyclic: any = {};
		cyclic.self = cyclic;
		expect(boundedData(cyclic)).to.deep.equal({ truncated: true });
	});
});

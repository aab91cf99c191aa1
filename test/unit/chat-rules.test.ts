import { expect } from "chai";
import { checkMessageText, conversationKey, pairKind, studentTeacherAllowed, teachesStudent } from "../../services/communication/chat-rules.js";
import { blocklistCheck, moderate, setModerationCheck } from "../../services/communication/moderation.js";
import { TokenBucket } from "../../rooms/token-bucket.js";
import { Relay } from "../../rooms/relay.js";

const school = "a".repeat(24);
const party = (id: string, roles: string[], schoolId: string | null = school) => ({ id, schoolId, roles });

describe("chat rules", () => {
	it("pairs student ↔ teacher, teacher ↔ school admin and anyone ↔ support, nothing else", () => {
		expect(pairKind(party("s", ["student"]), party("t", ["teacher"]))).to.deep.equal({ kind: "student_teacher", roles: ["student", "teacher"] });
		expect(pairKind(party("t", ["teacher"]), party("s", ["student"]))?.roles).to.deep.equal(["teacher", "student"]);
		expect(pairKind(party("t", ["teacher"]), party("a", ["school_admin"]))?.kind).to.equal("teacher_admin");
		expect(pairKind(party("a", ["school_admin", "teacher"]), party("t", ["teacher"]))?.kind).to.equal("teacher_admin");
		expect(pairKind(party("s", ["student"]), party("x", ["support"], null))).to.deep.equal({ kind: "support", roles: ["student", "support"] });
		expect(pairKind(party("x", ["support"], null), party("p", ["platform_admin"], null))?.kind).to.equal("support");
		expect(pairKind(party("s", ["student"]), party("s2", ["student"]))).to.equal(null);
		expect(pairKind(party("t", ["teacher"]), party("t2", ["teacher"]))).to.equal(null);
		expect(pairKind(party("x", ["support"], null), party("y", ["support"], null))).to.equal(null);
		expect(pairKind(party("s", ["student"]), party("s", ["teacher"])), "yourself").to.equal(null);
	});

	it("refuses any pair across schools, support aside", () => {
		expect(pairKind(party("s", ["student"]), party("t", ["teacher"], "b".repeat(24)))).to.equal(null);
		expect(pairKind(party("p", ["platform_admin"], null), party("s", ["student"]))).to.equal(null);
	});

	it("keys a conversation by kind and the sorted pair", () => {
		expect(conversationKey("support", "B", "a")).to.equal(conversationKey("support", "a", "b"));
		expect(conversationKey("support", "a", "b")).to.not.equal(conversationKey("teacher_admin", "a", "b"));
	});

	it("applies the school's student contact policy", () => {
		expect(studentTeacherAllowed("own_teachers", true)).to.equal(true);
		expect(studentTeacherAllowed("own_teachers", false)).to.equal(false);
		expect(studentTeacherAllowed("all_teachers", false)).to.equal(true);
		expect(studentTeacherAllowed("none", true)).to.equal(false);
		expect(teachesStudent({ teaches: ["c1", "c2"] }, { attends: ["c2"] })).to.equal(true);
		expect(teachesStudent({ teaches: ["c1"] }, { attends: ["c2"] })).to.equal(false);
	});

	it("trims and checks a message: empty, too long, moderated", () => {
		expect(checkMessageText("  hello ")).to.deep.equal({ ok: true, text: "hello" });
		expect(checkMessageText(" \n ")).to.include({ ok: false, reason: "empty" });
		expect(checkMessageText("x".repeat(4001))).to.include({ ok: false, reason: "too_long" });
		expect(checkMessageText(`  ${"x".repeat(4000)}  `).ok).to.equal(true);
		expect(checkMessageText("Espèce de CONNARD !")).to.include({ ok: false, reason: "moderated" });
		expect(checkMessageText("La classe de Bassin").ok, "whole words only").to.equal(true);
	});

	it("takes a pluggable moderation check", () => {
		try {
			setModerationCheck(text => (text.includes("http") ? { allowed: false, reason: "no links" } : { allowed: true }));
			expect(moderate("see http://x")).to.deep.equal({ allowed: false, reason: "no links" });
			expect(moderate("connard").allowed).to.equal(true);
		} finally {
			setModerationCheck(null);
		}
		expect(moderate("connard").allowed).to.equal(false);
		expect(blocklistCheck(["Éléphant"])("un elephant rose").allowed, "accents folded").to.equal(false);
	});
});

describe("room token bucket", () => {
	it("allows a burst up to capacity, then refills at the sustained rate", () => {
		const bucket = new TokenBucket({ capacity: 3, perSecond: 2 }, 0);
		expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).to.deep.equal([true, true, true, false]);
		expect(bucket.take(400), "0.8 token").to.equal(false);
		expect(bucket.take(500), "1 token after 500 ms").to.equal(true);
		expect(bucket.take(10_000, 3), "never more than capacity").to.equal(true);
		expect(bucket.take(10_000)).to.equal(false);
	});
});

describe("room relay", () => {
	it("delivers to the subscribers of a topic and key, and forgets them on unsubscribe", () => {
		const relay = new Relay();
		const got: unknown[] = [];
		const off = relay.subscribe("conversation", "c1", p => got.push(p));
		relay.subscribe("conversation", "c2", () => got.push("wrong"))();
		expect(relay.publish("conversation", "c1", 1)).to.equal(1);
		expect(relay.publish("user", "c1", 2)).to.equal(0);
		off();
		off();
		expect(relay.publish("conversation", "c1", 3)).to.equal(0);
		expect(got).to.deep.equal([1]);
		expect(relay.size()).to.equal(0);
	});
});

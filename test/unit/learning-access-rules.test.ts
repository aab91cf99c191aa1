import { expect } from "chai";
import { canManageItem, canReadItem, manageGuard, visibleItemsFilter } from "../../services/learning/content/access.js";
import { editRight, layerKey, mayRead, mergeProblems, normalizeLayerRef, toProfileLayer } from "../../services/learning/memory/layer-rules.js";
import { memoryStateId, reviewLogId } from "../../services/learning/memory/natural-ids.js";
import type { AuthUser } from "../../services/shared/identity.js";

const user = (id: string, ...roles: string[]): AuthUser => ({ id, schoolId: "s", roles: roles as AuthUser["roles"] });
const admin = user("a", "school_admin");
const teacher = user("t", "teacher");
const student = user("p", "student");

describe("content access rules", () => {
	it("teachers read their own items and others' validated ones; admins all; students none", () => {
		expect(canReadItem(teacher, { ownerId: "t", status: "draft" })).to.equal(true);
		expect(canReadItem(teacher, { ownerId: "x", status: "validated" })).to.equal(true);
		expect(canReadItem(teacher, { ownerId: "x", status: "draft" })).to.equal(false);
		expect(canReadItem(teacher, { ownerId: "x", status: "archived" })).to.equal(false);
		expect(canReadItem(admin, { ownerId: "x", status: "draft" })).to.equal(true);
		expect(canReadItem(student, { ownerId: "x", status: "validated" })).to.equal(false);
		expect(visibleItemsFilter(student)).to.deep.equal({ _id: null });
		expect(visibleItemsFilter(admin)).to.deep.equal({});
	});

	it("only the author or an admin manages an item", () => {
		expect(canManageItem(teacher, { ownerId: "t" })).to.equal(true);
		expect(canManageItem(teacher, { ownerId: "x" })).to.equal(false);
		expect(canManageItem(admin, { ownerId: "x" })).to.equal(true);
		expect(manageGuard(teacher)).to.deep.equal({ ownerId: "t" });
		expect(manageGuard(admin)).to.deep.equal({});
	});
});

describe("profile layers rules", () => {
	it("names layers, defaulting the id to the caller and refusing fields the kind does not take", () => {
		expect(normalizeLayerRef({ kind: "teacher" }, teacher)).to.deep.equal({ ref: { kind: "teacher", teacherId: "t" }, problems: [] });
		expect(normalizeLayerRef({ kind: "student", subject: "maths" }, student).ref).to.deep.equal({ kind: "student", studentId: "p", subject: "maths" });
		expect(normalizeLayerRef({ kind: "student" }, admin).problems[0]).to.include({ field: "studentId" });
		expect(normalizeLayerRef({ kind: "school", subject: "x" }, admin).problems[0]).to.include({ field: "subject" });
		expect(normalizeLayerRef({ kind: "subject" }, admin).problems[0]).to.include({ field: "subject" });
		expect(layerKey({ kind: "student", studentId: "p", subject: "maths" })).to.equal("student:p:subject:maths");
		expect(layerKey({ kind: "student", studentId: "p" })).to.equal("student:p");
		expect(layerKey({ kind: "subject", subject: "maths" })).to.equal("subject:maths");
	});

	it("who may edit which layer", () => {
		const none = { teachesStudent: false };
		expect(editRight(admin, { kind: "school" }, none)).to.equal("free");
		expect(editRight(teacher, { kind: "school" }, none)).to.equal("forbidden");
		expect(editRight(teacher, { kind: "subject", subject: "m" }, none)).to.equal("forbidden");
		expect(editRight(teacher, { kind: "teacher", teacherId: "t" }, none)).to.equal("free");
		expect(editRight(teacher, { kind: "teacher", teacherId: "x" }, none)).to.equal("forbidden");
		expect(editRight(student, { kind: "student", studentId: "p" }, none)).to.equal("bounded");
		expect(editRight(student, { kind: "student", studentId: "q" }, none)).to.equal("forbidden");
		expect(editRight(teacher, { kind: "student", studentId: "p" }, none)).to.equal("forbidden");
		expect(editRight(teacher, { kind: "student", studentId: "p" }, { teachesStudent: true })).to.equal("free");
		expect(mayRead(student, { kind: "teacher", teacherId: "t" }, none)).to.equal(true);
		expect(mayRead(student, { kind: "student", studentId: "q" }, none)).to.equal(false);
	});

	it("reads stored layers for resolveProfile and merges problems found against several bounds", () => {
		expect(toProfileLayer({ kind: "student", subject: "m", values: { desiredRetention: 0.9 } })).to.deep.equal({ kind: "student", subject: "m", values: { desiredRetention: 0.9 } });
		expect(toProfileLayer({ kind: "student", subject: null, values: {} })).to.deep.equal({ kind: "student", values: {} });
		expect(toProfileLayer({ kind: "teacher", teacherId: "t", values: {}, studentBounds: { practiceAllowed: true } })).to.deep.equal({
			kind: "teacher",
			teacherId: "t",
			values: {},
			studentBounds: { practiceAllowed: true },
		});
		const p = { field: "desiredRetention", message: "must be at most 0.9 (set by your teacher)" };
		expect(mergeProblems([[p], [p, { field: "x", message: "y" }]])).to.have.length(2);
	});
});

describe("memory natural ids", () => {
	it("are stable, 24 hex digits, and differ by school", () => {
		expect(memoryStateId("s1", "p", "i")).to.match(/^[0-9a-f]{24}$/).and.to.equal(memoryStateId("s1", "p", "i"));
		expect(memoryStateId("s1", "p", "i")).not.to.equal(memoryStateId("s2", "p", "i"));
		expect(reviewLogId("s1", "k")).not.to.equal(reviewLogId("s2", "k"));
		expect(reviewLogId("s1", "k")).not.to.equal(memoryStateId("s1", "k", ""));
	});
});

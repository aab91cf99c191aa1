import { expect } from "chai";
import {
	PLATFORM_DEFAULTS,
	resolveProfile,
	validateLayer,
	validateStudentLayer,
	type ProfileLayer,
} from "../../services/learning/memory/profile-layers.js";

const school: ProfileLayer = { kind: "school", values: { desiredRetention: 0.85, newItemsPerDay: 15, maximumIntervalDays: 180 } };
const maths: ProfileLayer = { kind: "subject", subject: "maths", values: { newItemsPerDay: 8, learningSteps: ["2m", "15m"] } };
const history: ProfileLayer = { kind: "subject", subject: "history", values: { newItemsPerDay: 30 } };
const teacher: ProfileLayer = {
	kind: "teacher",
	teacherId: "t-42",
	values: { desiredRetention: 0.9 },
	studentBounds: { desiredRetention: { min: 0.85, max: 0.95 }, newItemsPerDay: { max: 12 }, practiceAllowed: true },
};
const student: ProfileLayer = { kind: "student", values: { desiredRetention: 0.93 } };
const studentMaths: ProfileLayer = { kind: "student", subject: "maths", values: { newItemsPerDay: 5 } };

describe("profile layers", () => {
	it("with no layers, every value is the platform default", () => {
		const r = resolveProfile([]);
		expect(r.values).to.deep.equal(PLATFORM_DEFAULTS);
		expect(new Set(Object.values(r.sources))).to.deep.equal(new Set(["platform default"]));
		expect(r.practiceAllowed).to.equal(false);
	});

	it("resolves school → subject → teacher → student → student:subject, most specific last, whatever the input order", () => {
		const layers = [studentMaths, teacher, student, school, maths];
		const r = resolveProfile(layers, { subject: "maths" });
		expect(r.values.desiredRetention).to.equal(0.93);
		expect(r.sources.desiredRetention).to.equal("student");
		expect(r.values.newItemsPerDay).to.equal(5);
		expect(r.sources.newItemsPerDay).to.equal("student:subject:maths");
		expect(r.values.learningSteps).to.deep.equal(["2m", "15m"]);
		expect(r.sources.learningSteps).to.equal("subject:maths");
		expect(r.values.maximumIntervalDays).to.equal(180);
		expect(r.sources.maximumIntervalDays).to.equal("school");
		expect(r.sources.fsrsParameters).to.equal("platform default");
		expect(r.values.relearningSteps).to.deep.equal(PLATFORM_DEFAULTS.relearningSteps);
		expect(resolveProfile([...layers].reverse(), { subject: "maths" })).to.deep.equal(r);
	});

	it("names the teacher layer after its owner", () => {
		const r = resolveProfile([school, teacher]);
		expect(r.sources.desiredRetention).to.equal("teacher:t-42");
		expect(r.boundsSources.practiceAllowed).to.equal("teacher:t-42");
		expect(r.practiceAllowed).to.equal(true);
	});

	it("ignores another subject's layers when a subject is given", () => {
		const r = resolveProfile([school, maths, history, studentMaths], { subject: "history" });
		expect(r.values.newItemsPerDay).to.equal(30);
		expect(r.sources.newItemsPerDay).to.equal("subject:history");
		expect(r.sources.learningSteps).to.equal("platform default");
	});

	it("refuses two layers of the same kind", () => {
		expect(() => resolveProfile([maths, history])).to.throw(/two layers of the same kind/);
	});

	it("does not let a resolved profile share arrays with the layers or the defaults", () => {
		const r = resolveProfile([maths]);
		r.values.learningSteps.push("1d");
		r.values.fsrsParameters[0] = 99;
		expect(maths.values.learningSteps).to.deep.equal(["2m", "15m"]);
		expect(PLATFORM_DEFAULTS.fsrsParameters[0]).to.not.equal(99);
	});

	it("clamps a student value into the teacher's bounds and says so", () => {
		const r = resolveProfile([school, teacher, { kind: "student", values: { desiredRetention: 0.99, newItemsPerDay: 40 } }]);
		expect(r.values.desiredRetention).to.equal(0.95);
		expect(r.values.newItemsPerDay).to.equal(12);
		expect(r.adjustments.map((a) => a.field)).to.deep.equal(["desiredRetention", "newItemsPerDay"]);
		expect(r.adjustments[0].message).to.match(/teacher:t-42/);
	});

	it("bounds limit students only: the school's own value outside them stands", () => {
		const r = resolveProfile([school, teacher]);
		expect(r.values.newItemsPerDay).to.equal(15);
		expect(r.adjustments).to.deep.equal([]);
	});

	it("a more specific layer's bounds replace a broader layer's, field by field", () => {
		const schoolWithBounds: ProfileLayer = {
			kind: "school",
			values: {},
			studentBounds: { desiredRetention: { min: 0.7, max: 0.8 }, maximumIntervalDays: { max: 90 } },
		};
		const r = resolveProfile([schoolWithBounds, teacher]);
		expect(r.studentBounds.desiredRetention).to.deep.equal({ min: 0.85, max: 0.95 });
		expect(r.studentBounds.maximumIntervalDays).to.deep.equal({ max: 90 });
		expect(r.boundsSources).to.include({ desiredRetention: "teacher:t-42", maximumIntervalDays: "school" });
	});

	it("validateStudentLayer accepts values within bounds and rejects the rest with field problems", () => {
		const bounds = teacher.kind === "teacher" ? teacher.studentBounds! : {};
		expect(validateStudentLayer({ desiredRetention: 0.9, newItemsPerDay: 12 }, bounds)).to.deep.equal([]);
		const problems = validateStudentLayer({ desiredRetention: 0.8, newItemsPerDay: 13, learningSteps: ["1m"] }, bounds);
		expect(problems.map((p) => p.field).sort()).to.deep.equal(["desiredRetention", "learningSteps", "newItemsPerDay"]);
		expect(problems.find((p) => p.field === "desiredRetention")!.message).to.match(/at least 0.85/);
		expect(validateStudentLayer({ fsrsParameters: [...PLATFORM_DEFAULTS.fsrsParameters] })).to.have.length(1);
	});

	it("validateLayer reports each bad value by field", () => {
		expect(validateLayer({ ...PLATFORM_DEFAULTS })).to.deep.equal([]);
		const problems = validateLayer({
			desiredRetention: 0.5,
			maximumIntervalDays: 2.5,
			newItemsPerDay: -1,
			// ts-fsrs reads a step with parseInt: "1.5m" would silently be 1 minute, so whole units only
			learningSteps: ["1m", "soon", "0m", "1.5m"],
			relearningSteps: "10m",
			fsrsParameters: [1, 2, 3],
			colour: "blue",
		});
		expect(problems.map((p) => p.field).sort()).to.deep.equal(
			[
				"colour",
				"desiredRetention",
				"fsrsParameters",
				"learningSteps.1",
				"learningSteps.2",
				"learningSteps.3",
				"maximumIntervalDays",
				"newItemsPerDay",
				"relearningSteps",
			].sort(),
		);
		const w = [...PLATFORM_DEFAULTS.fsrsParameters];
		w[20] = 2;
		expect(validateLayer({ fsrsParameters: w })).to.deep.equal([{ field: "fsrsParameters.20", message: "must be a number between 0.1 and 0.8" }]);
	});

	it("validateLayer checks bounds too", () => {
		expect(validateLayer({}, { desiredRetention: { min: 0.9, max: 0.8 }, practiceAllowed: "yes", speed: 1 }).map((p) => p.field).sort()).to.deep.equal([
			"studentBounds.desiredRetention",
			"studentBounds.practiceAllowed",
			"studentBounds.speed",
		]);
		expect(validateLayer({}, { newItemsPerDay: { min: 0, max: 20 }, practiceAllowed: false })).to.deep.equal([]);
	});
});

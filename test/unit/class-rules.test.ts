import { expect } from "chai";
import { parseCsv } from "../../services/shared/csv.js";
import { canManageClass, canSeeClass, manageGuard, visibleClassesFilter } from "../../services/users/class-access.js";
import { headerProblems, parseLogin, readClassRows } from "../../services/users/class-import.js";
import type { AuthUser } from "../../services/shared/identity.js";

const school = "65a000000000000000000001";
const as = (id: string, ...roles: any[]): AuthUser => ({ id, schoolId: school, roles });

describe("class access", () => {
	const cls = { teacherIds: ["t1"], studentIds: ["s1"] };
	const admin = as("a1", "school_admin");
	const teacher = as("t1", "teacher");
	const otherTeacher = as("t2", "teacher");
	const student = as("s1", "student");
	const otherStudent = as("s2", "student");

	it("lets admins see everything and others only their own classes", () => {
		expect(visibleClassesFilter(admin)).to.deep.equal({});
		expect(visibleClassesFilter(teacher)).to.deep.equal({ teacherIds: "t1" });
		expect(visibleClassesFilter(student)).to.deep.equal({ studentIds: "s1" });
		expect(visibleClassesFilter(as("x", "teacher", "student"))).to.deep.equal({ $or: [{ teacherIds: "x" }, { studentIds: "x" }] });
	});
	it("gives a user without a school role a filter that matches nothing", () => {
		expect(visibleClassesFilter(as("p", "support"))).to.deep.equal({ _id: null });
	});
	it("shows a class to its members and admins only", () => {
		expect([admin, teacher, student].map(u => canSeeClass(u, cls))).to.deep.equal([true, true, true]);
		expect([otherTeacher, otherStudent].map(u => canSeeClass(u, cls))).to.deep.equal([false, false]);
	});
	it("lets only admins and the class's teachers manage it", () => {
		expect([admin, teacher, otherTeacher, student].map(u => canManageClass(u, cls))).to.deep.equal([true, true, false, false]);
		expect(manageGuard(admin)).to.deep.equal({});
		expect(manageGuard(teacher)).to.deep.equal({ teacherIds: "t1" });
	});
});

describe("classes CSV", () => {
	it("recognises ids, emails and usernames", () => {
		expect(parseLogin("65A000000000000000000001")).to.deep.equal({ kind: "id", value: "65a000000000000000000001" });
		expect(parseLogin(" Ada@School.test ")).to.deep.equal({ kind: "email", value: "ada@school.test" });
		expect(parseLogin("Pupil.One")).to.deep.equal({ kind: "username", value: "pupil.one" });
		expect(parseLogin("not an@email")).to.equal(null);
		expect(parseLogin("bad name")).to.equal(null);
	});
	it("requires a name column and refuses unknown ones", () => {
		expect(headerProblems(["name", "year"])).to.deep.equal([]);
		expect(headerProblems(["subject"])).to.have.length(1);
		expect(headerProblems(["name", "teacher"])[0]).to.match(/unknown column "teacher"/);
	});
	it("reads valid lines and reports each bad one by line and field", () => {
		const csv = parseCsv(
			[
				"name,subject,level,year,teachers,students",
				"6B,Maths,6e,2025-2026,t@s.test,p1;p2 ; 65a000000000000000000001",
				",Maths,,,,",
				"6C,,,,bad login!,",
				"6B,History,,2025-2026,,",
				"6B,History,,2026-2027,,",
				`${"x".repeat(121)},,,,,`,
			].join("\n"),
		);
		const { rows, errors } = readClassRows(csv);
		expect(rows.map(r => [r.line, r.name, r.year])).to.deep.equal([
			[2, "6B", "2025-2026"],
			[6, "6B", "2026-2027"],
		]);
		expect(rows[0].teachers).to.deep.equal([{ kind: "email", value: "t@s.test" }]);
		expect(rows[0].students.map(s => s.kind)).to.deep.equal(["username", "username", "id"]);
		expect(rows[1].subject).to.equal("History");
		expect(rows[1].level).to.equal(null);
		expect(errors.map(e => [e.line, e.field])).to.deep.equal([
			[3, "name"],
			[4, "teachers"],
			[5, "name"],
			[7, "name"],
		]);
		expect(errors[2].message).to.match(/line 2/);
	});
});

import { expect } from "chai";
import { parseCsv } from "../../services/shared/csv.js";
import { checkStudentRows } from "../../services/users/student-import.js";
import { studentProfileSet, teacherProfileSet } from "../../services/users/profile-update.js";
import { holdsSeat, seatDelta } from "../../services/users/seats.js";

const PW = "long enough password";

describe("student import rows", () => {
	it("keeps valid rows, lower-cases emails and reports problems per line and field", () => {
		const csv = parseCsv(`username,firstName,lastName,password,email\nann,Ann,One,${PW},Ann@X.test\nb,Bob,,short,not-an-email\n`);
		const { valid, errors } = checkStudentRows(csv);
		expect(valid).to.deep.equal([{ line: 2, username: "ann", firstName: "Ann", lastName: "One", password: PW, email: "ann@x.test" }]);
		expect(errors.map(e => e.field)).to.deep.equal(["username", "lastName", "password", "email"]);
		expect(errors.every(e => e.line === 3)).to.equal(true);
	});

	it("flags usernames and emails repeated in the file on their later lines", () => {
		const csv = parseCsv(`username,firstName,lastName,password,email\nann,A,B,${PW},a@x.test\nANN,A,B,${PW},\nbob,A,B,${PW},A@x.test\n`);
		const { valid, errors } = checkStudentRows(csv);
		expect(valid.map(r => r.line)).to.deep.equal([2]);
		expect(errors).to.deep.equal([
			{ line: 3, field: "username", message: "already used on line 2" },
			{ line: 4, field: "email", message: "already used on line 2" },
		]);
	});

	it("works without the optional email column and refuses missing or unknown columns", () => {
		expect(checkStudentRows(parseCsv(`username,firstName,lastName,password\nann,A,B,${PW}\n`)).valid).to.have.length(1);
		for (const header of ["username,firstName,lastName", "username,firstName,lastName,password,role"]) {
			try {
				checkStudentRows(parseCsv(`${header}\n`));
				expect.fail("should refuse the header");
			} catch (err: any) {
				expect(err.type).to.equal("IMPORT_INVALID");
				expect(err.data[0].line).to.equal(1);
			}
		}
	});
});

describe("profile updates", () => {
	it("replace lists and merge preference and accommodation keys", () => {
		expect(studentProfileSet({ levels: [{ subject: "maths", level: "A2" }], preferences: { reminders: true }, accommodations: { extraTimePercent: 25 } })).to.deep.equal({
			"studentProfile.levels": [{ subject: "maths", level: "A2" }],
			"studentProfile.preferences.reminders": true,
			"studentProfile.accommodations.extraTimePercent": 25,
		});
		expect(studentProfileSet({})).to.deep.equal({});
		expect(teacherProfileSet({ subjects: ["art"] })).to.deep.equal({ "teacherProfile.subjects": ["art"] });
	});
});

describe("seats", () => {
	it("are held by teachers and students, not by admins alone", () => {
		expect(holdsSeat(["student"])).to.equal(true);
		expect(holdsSeat(["school_admin", "teacher"])).to.equal(true);
		expect(holdsSeat(["school_admin"])).to.equal(false);
		expect(seatDelta(["school_admin"], ["teacher"])).to.equal(1);
		expect(seatDelta(["teacher"], ["school_admin"])).to.equal(-1);
		expect(seatDelta(["student"], ["teacher"])).to.equal(0);
	});
});

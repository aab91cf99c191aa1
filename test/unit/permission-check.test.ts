import { expect } from "chai";
import { PERMISSIONS } from "../../config/permissions/index.js";
import { ERR } from "../../services/shared/errors.js";
import { SYSTEM } from "../../services/shared/identity.js";
import { checkPermission } from "../../services/shared/permission.middleware.js";

const ctx = (user: any, caller: string | null = null) => ({ meta: { user }, caller }) as any;
const teacher = { id: "u1", schoolId: "s1", roles: ["teacher"] };

function errorOf(fn: () => void): any {
	try {
		fn();
	} catch (err) {
		return err;
	}
	return undefined;
}

describe("permission check", () => {
	it("refuses an action with no rule (fail closed)", () => {
		expect(errorOf(() => checkPermission("nobody.knows", ctx(teacher)))).to.include({ code: 403, type: ERR.FORBIDDEN_ROLE });
	});

	it("lets anyone call an anonymous action", () => {
		expect(errorOf(() => checkPermission("auth.login", ctx(null)))).to.equal(undefined);
	});

	it("asks for authentication before a role check", () => {
		expect(errorOf(() => checkPermission("users.me", ctx(null)))).to.include({ code: 401 });
	});

	it("lets a service call an internal action on behalf of a user, but not the gateway", () => {
		expect(errorOf(() => checkPermission("mailer.send", ctx(teacher, "invitations")))).to.equal(undefined);
		expect(errorOf(() => checkPermission("mailer.send", ctx(teacher, "api")))).to.include({ code: 403 });
		expect(errorOf(() => checkPermission("mailer.send", ctx(teacher, "realtime")))).to.include({ code: 403 });
		expect(errorOf(() => checkPermission("mailer.send", ctx(teacher)))).to.include({ code: 403 });
	});

	it("lets the system principal run jobs", () => {
		expect(errorOf(() => checkPermission("invitations.purgeExpired", ctx(SYSTEM)))).to.equal(undefined);
		expect(errorOf(() => checkPermission("invitations.purgeExpired", ctx(teacher)))).to.include({ code: 403 });
	});

	it("names only known principals in the matrix", () => {
		const known = new Set(["anonymous", "system", "service", "platform_admin", "school_admin", "teacher", "student", "support"]);
		for (const [action, principals] of Object.entries(PERMISSIONS)) {
			for (const p of principals) expect(known.has(p), `${action}: ${p}`).to.equal(true);
			expect(principals.length, action).to.be.greaterThan(0);
		}
	});
});

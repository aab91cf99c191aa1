/**
 * `permission matrix`: generated from config/permissions. Every role (and an anonymous caller, and the
 * system principal) calls every action through the broker; a role the matrix does not list gets 403
 * FORBIDDEN_ROLE (401 when anonymous), a listed one gets past the permission middleware (the action may
 * still refuse the empty params or the unknown ids, which is not what this test is about).
 */
import { expect } from "chai";
import { Types } from "mongoose";
import { PERMISSIONS } from "../../config/permissions/index.js";
import { ROLES } from "../../config/roles.js";
import { ERR } from "../../services/shared/errors.js";
import { SYSTEM } from "../../services/shared/identity.js";
import { bootPlatform } from "../support/platform.js";

const STAFF = new Set(["platform_admin", "support"]);
type Caller = (typeof ROLES)[number] | "anonymous" | "system";
const CALLERS: Caller[] = [...ROLES, "anonymous", "system"];

function userFor(caller: Caller) {
	if (caller === "anonymous") return null;
	if (caller === "system") return { ...SYSTEM, roles: [...SYSTEM.roles] };
	return { id: new Types.ObjectId().toHexString(), schoolId: STAFF.has(caller) ? null : new Types.ObjectId().toHexString(), roles: [caller] };
}

async function outcome(action: string, caller: Caller): Promise<{ code?: number; type?: string }> {
	const { broker } = await bootPlatform();
	try {
		await broker.call(action, {}, { meta: { user: userFor(caller) } });
		return {};
	} catch (err: any) {
		return { code: err.code, type: err.type };
	}
}

describe("permission matrix", function () {
	before(bootPlatform);

	it("has a rule for every action the platform registers (fail closed otherwise)", async () => {
		const { broker } = await bootPlatform();
		const actions = (broker.registry.getActionList({ skipInternal: true }) as any[])
			.filter(a => a.action?.visibility !== "private")
			.map(a => a.name as string);
		expect(actions.length).to.be.greaterThan(20);
		const missing = actions.filter(name => !(name in PERMISSIONS));
		expect(missing, "actions without a permission rule").to.deep.equal([]);
		const stale = Object.keys(PERMISSIONS).filter(name => !actions.includes(name));
		expect(stale, "rules for actions that do not exist").to.deep.equal([]);
	});

	for (const [action, principals] of Object.entries(PERMISSIONS)) {
		it(`${action}: ${principals.join(", ")}`, async () => {
			for (const caller of CALLERS) {
				const allowed = principals.includes("anonymous") || principals.includes(caller as any);
				const result = await outcome(action, caller);
				if (allowed) {
					expect(result.type, `${caller} should pass the permission check of ${action}`).not.to.equal(ERR.FORBIDDEN_ROLE);
					expect(result.code, `${caller} should be authenticated for ${action}`).not.to.equal(401);
				} else if (caller === "anonymous") {
					expect(result.code, `anonymous on ${action}`).to.equal(401);
				} else {
					expect(result, `${caller} on ${action}`).to.deep.equal({ code: 403, type: ERR.FORBIDDEN_ROLE });
				}
			}
		});
	}
});

import { expect } from "chai";
import { PLANS } from "../../config/plans.js";
import { signupSchool } from "../support/accounts.js";
import { bootPlatform, systemMeta } from "../support/platform.js";

describe("subscriptions.limits", () => {
	it("gives other blocks the plan's limits of a school", async () => {
		const { broker } = await bootPlatform();
		const { school } = await signupSchool();
		const limits: any = await broker.call("subscriptions.limits", { schoolId: school.id }, { meta: systemMeta() });
		expect(limits).to.include({ status: "active", plan: "trial", maxActivePaths: PLANS.trial.maxActivePaths, seatLimit: PLANS.trial.seats });
		expect(limits.modules).to.deep.equal([...PLANS.trial.modules]);
	});

});

/** The AI block works only for schools whose plan includes the `ai` module (config/plans.ts). */
import { ERR, forbidden } from "../shared/errors.js";
import type { Ctx } from "../shared/identity.js";

export async function assertAiModule(ctx: Ctx<any>): Promise<void> {
	const limits = (await ctx.call("subscriptions.limits", {})) as { status: string; modules: string[] };
	if (limits.status !== "active") throw forbidden("The school's subscription is not active", ERR.SUBSCRIPTION_INACTIVE);
	if (!limits.modules.includes("ai")) throw forbidden("The school's plan does not include the AI tutors", ERR.PLAN_FORBIDS);
}

import { ANYONE, INTERNAL, type PermissionTable } from "./types.js";

/** Block 6: plans and subscriptions (invoices and payments come with the billing issue). */
export const billingPermissions: PermissionTable = {
	"subscriptions.plans": ANYONE,
	"subscriptions.mine": ["school_admin"],
	"subscriptions.check": ["school_admin", "service", "system"],
	"subscriptions.limits": INTERNAL,
	"subscriptions.changePlan": ["platform_admin"],
	"subscriptions.createForSchool": INTERNAL,
	"subscriptions.removeForSchool": INTERNAL,
	"subscriptions.reserveSeats": INTERNAL,
	"subscriptions.releaseSeats": INTERNAL,
	"subscriptions.setStatus": INTERNAL,
};

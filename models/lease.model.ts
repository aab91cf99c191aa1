/**
 * Short leases (see services/shared/lease.ts), only for the few rules that span several documents, which no
 * single-document conditional update can guard. Each owning service gets its own collection of leases from
 * this one schema.
 */
import type { Model } from "mongoose";
import { defineModel, defineSchema } from "./define.js";

export const LeaseSchema = defineSchema(
	{
		key: { type: String, required: true, unique: true },
		owner: { type: String, required: true },
		expiresAt: { type: Date, required: true },
	},
	{ timestamps: false },
);

export function leaseModel(name: string): Model<any> {
	return defineModel(name, LeaseSchema);
}

/** Held while a change may take away a school's active admin (owned by users): at least one must stay. */
export const UserLease = leaseModel("UserLease");
/** Held by the node running a billing job (monthly invoices, dunning), renewed while it runs (owned by billingRuns). */
export const BillingLease = leaseModel("BillingLease");

/**
 * Short leases (see services/shared/lease.ts). FerretDB on SQLite applies an update as
 * read-then-write without a transaction, so two concurrent conditional updates of one document can
 * both pass their filter and lose increments; a unique-key insert is atomic there. Each owning service
 * gets its own collection of leases from this one schema.
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

/** Held around every write of a school's subscription (owned by subscriptions). */
export const SubscriptionLease = leaseModel("SubscriptionLease");
/** Held while an invitation is being redeemed (owned by invitations). */
export const InvitationLease = leaseModel("InvitationLease");
/** Held while a refresh-token family rotates and while a mailed one-time token is consumed (owned by auth). */
export const AuthLease = leaseModel("AuthLease");
/** Held while a school's members change role or status (owned by users). */
export const UserLease = leaseModel("UserLease");
/** Held by the node running a billing job (monthly invoices, dunning), renewed while it runs (owned by billingRuns). */
export const BillingLease = leaseModel("BillingLease");

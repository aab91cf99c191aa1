/**
 * Counters of the gapless numbering, one per series and year ("invoice:2026", "credit_note:2026"),
 * owned by invoices. `claim` is the block of numbers being written right now (services/billing/numbering.ts).
 */
import { defineModel, defineSchema, part } from "./define.js";

export const BillingCounterSchema = defineSchema(
	{
		_id: { type: String, required: true },
		series: { type: String, required: true },
		year: { type: Number, required: true },
		seq: { type: Number, required: true, default: 0 },
		claim: {
			type: part({ lo: Number, hi: Number, owner: String, expiresAt: Date, issuedAt: Date }),
			default: null,
		},
	},
);

export const BillingCounter = defineModel("BillingCounter", BillingCounterSchema);

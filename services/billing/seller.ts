/**
 * The seller's identity printed on invoices (BILLING_SELLER_*). French law wants its name, address,
 * SIREN/SIRET and VAT number on every invoice: in production an incomplete identity stops invoicing
 * with a message naming the variables; elsewhere a placeholder marks the documents as examples.
 */
import type { BillingSettings } from "../../config/env.js";
import { ClientError, ERR } from "../shared/errors.js";

export interface Seller {
	name: string;
	address: string[];
	country: string;
	siret: string | null;
	vatNumber: string | null;
	legal: string | null;
	email: string | null;
	bank: string | null;
}

export function sellerOf(cfg: BillingSettings, nodeEnv: string): Seller {
	const s = cfg.seller;
	const missing = [
		!s.name && "BILLING_SELLER_NAME",
		s.address.length === 0 && "BILLING_SELLER_ADDRESS",
		!s.siret && "BILLING_SELLER_SIRET",
		!s.vatNumber && "BILLING_SELLER_VAT_NUMBER",
	].filter(Boolean) as string[];
	if (missing.length > 0 && nodeEnv === "production") {
		throw new ClientError(`Invoices need the seller's legal identity: set ${missing.join(", ")}`, 503, ERR.BILLING_NOT_CONFIGURED, { missing });
	}
	return {
		name: s.name || "Learning Platform SAS (exemple)",
		address: s.address.length > 0 ? s.address : ["1 rue de l'Exemple", "75001 Paris"],
		country: s.country,
		siret: s.siret ?? (missing.length > 0 ? "000 000 000 00000" : null),
		vatNumber: s.vatNumber ?? (missing.length > 0 ? "FR00000000000" : null),
		legal: s.legal ?? null,
		email: s.email ?? null,
		bank: s.bank ?? null,
	};
}

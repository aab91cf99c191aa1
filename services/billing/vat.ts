/**
 * Which VAT an invoice of a French seller carries, by the school's country and VAT number:
 * - France (and Monaco, in the French VAT territory): French VAT at the domestic rate;
 * - another EU country with a VAT number: reverse charge, no VAT on the invoice (the buyer accounts for it);
 * - another EU country without one: VAT of the buyer's country (One-Stop Shop);
 * - outside the EU: no French VAT (services to a buyer established abroad, art. 259-1 CGI).
 * VAT numbers are checked for their country's format (and the French key), not against VIES, which
 * this platform cannot reach offline; docs/BILLING.md says what an operator should verify.
 */
import { mulDiv } from "./money.js";

export type VatScheme = "domestic" | "reverse_charge" | "eu_oss" | "export";

export interface VatDecision {
	scheme: VatScheme;
	/** Basis points: 2000 = 20 %. */
	rateBps: number;
	/** The legal mention printed on the invoice (empty when VAT is simply charged at the domestic rate). */
	mention: string;
	/** ISO country whose VAT applies, when VAT is charged. */
	country?: string;
}

/**
 * Standard rates of the EU member states (basis points) as of August 2025 (EE 24 %, RO 21 %, FI 25.5 %,
 * SK 23 %). Rates change: BILLING_VAT_COUNTRY_RATES overrides any of them without a release.
 */
export const EU_STANDARD_RATES: Readonly<Record<string, number>> = {
	AT: 2000, BE: 2100, BG: 2000, HR: 2500, CY: 1900, CZ: 2100, DK: 2500, EE: 2400, FI: 2550, FR: 2000,
	DE: 1900, GR: 2400, HU: 2700, IE: 2300, IT: 2200, LV: 2100, LT: 2100, LU: 1700, MT: 1800, NL: 2100,
	PL: 2300, PT: 2300, RO: 2100, SK: 2300, SI: 2200, ES: 2100, SE: 2500,
};

/** Countries inside the French VAT territory. */
const FRENCH_VAT_TERRITORY = ["FR", "MC"];

export function isEuCountry(country: string): boolean {
	return Object.prototype.hasOwnProperty.call(EU_STANDARD_RATES, country);
}

/** The VAT number prefix of a country (Greece uses EL). */
function vatPrefix(country: string): string {
	return country === "GR" ? "EL" : country;
}

/** The number's body after its prefix, per country. */
const VAT_FORMATS: Readonly<Record<string, RegExp>> = {
	AT: /^U\d{8}$/, BE: /^[01]\d{9}$/, BG: /^\d{9,10}$/, HR: /^\d{11}$/, CY: /^\d{8}[A-Z]$/, CZ: /^\d{8,10}$/,
	DK: /^\d{8}$/, EE: /^\d{9}$/, FI: /^\d{8}$/, FR: /^[0-9A-HJ-NP-Z]{2}\d{9}$/, DE: /^\d{9}$/, GR: /^\d{9}$/,
	HU: /^\d{8}$/, IE: /^(\d{7}[A-W][A-I]?|\d[A-Z+*]\d{5}[A-W])$/, IT: /^\d{11}$/, LV: /^\d{11}$/, LT: /^(\d{9}|\d{12})$/,
	LU: /^\d{8}$/, MT: /^\d{8}$/, NL: /^\d{9}B\d{2}$/, PL: /^\d{10}$/, PT: /^\d{9}$/, RO: /^\d{2,10}$/, SK: /^\d{10}$/,
	SI: /^\d{8}$/, ES: /^[A-Z0-9]\d{7}[A-Z0-9]$/, SE: /^\d{10}01$/,
};

/** Upper case without spaces, dots or dashes: "fr 40 303 265 045" -> "FR40303265045". */
export function normalizeVatNumber(raw: string): string {
	return raw.toUpperCase().replace(/[\s.\-]/g, "");
}

/**
 * Why a VAT number does not suit a school of `country`, or null when it does. Only EU numbers are
 * checked: elsewhere a tax id is printed as given.
 */
export function vatNumberProblem(country: string, vatNumber: string): string | null {
	if (!isEuCountry(country) && country !== "MC") return null;
	const normalized = normalizeVatNumber(vatNumber);
	const home = country === "MC" ? "FR" : country;
	const prefix = vatPrefix(home);
	if (!normalized.startsWith(prefix)) return `an intra-community VAT number of ${country} starts with ${prefix}`;
	const body = normalized.slice(prefix.length);
	if (!VAT_FORMATS[home].test(body)) return `"${normalized}" is not in the format of ${home} VAT numbers`;
	if (home === "FR" && /^\d{2}/.test(body)) {
		// The French key: (12 + 3 × (SIREN mod 97)) mod 97.
		const siren = Number(body.slice(2));
		const key = (12 + 3 * (siren % 97)) % 97;
		if (key !== Number(body.slice(0, 2))) return `"${normalized}" has a wrong key for SIREN ${body.slice(2)}`;
	}
	return null;
}

export interface VatRules {
	domesticRateBps: number;
	countryRates?: Readonly<Record<string, number>>;
}

export function decideVat(buyer: { country: string; vatNumber?: string | null }, rules: VatRules): VatDecision {
	const country = buyer.country.toUpperCase();
	if (FRENCH_VAT_TERRITORY.includes(country)) return { scheme: "domestic", rateBps: rules.domesticRateBps, mention: "", country: "FR" };
	if (isEuCountry(country)) {
		if (buyer.vatNumber && vatNumberProblem(country, buyer.vatNumber) === null) {
			return { scheme: "reverse_charge", rateBps: 0, mention: "Autoliquidation : TVA due par le preneur (art. 283-2 du CGI, art. 196 de la directive 2006/112/CE)" };
		}
		const rateBps = rules.countryRates?.[country] ?? EU_STANDARD_RATES[country];
		return { scheme: "eu_oss", rateBps, mention: `TVA ${country} appliquée (guichet unique OSS, art. 259 D du CGI)`, country };
	}
	return { scheme: "export", rateBps: 0, mention: "TVA non applicable, art. 259-1 du CGI (preneur établi hors de l'Union européenne)" };
}

/** VAT on a total excluding VAT, rounded to the cent. */
export function vatAmount(subtotalCents: number, rateBps: number): number {
	return mulDiv(subtotalCents, rateBps, 10_000);
}

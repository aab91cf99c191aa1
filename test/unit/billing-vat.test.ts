import { expect } from "chai";
import { decideVat, normalizeVatNumber, vatAmount, vatNumberProblem } from "../../services/billing/vat.js";

const rules = { domesticRateBps: 2000 };

describe("billing VAT", () => {
	it("charges French VAT in France and Monaco", () => {
		expect(decideVat({ country: "FR", vatNumber: "FR40303265045" }, rules)).to.include({ scheme: "domestic", rateBps: 2000 });
		expect(decideVat({ country: "MC" }, rules)).to.include({ scheme: "domestic", rateBps: 2000 });
		expect(decideVat({ country: "FR" }, { domesticRateBps: 550 })).to.include({ rateBps: 550 });
	});

	it("reverse-charges an EU school with a VAT number of its country, with the legal mention", () => {
		const be = decideVat({ country: "BE", vatNumber: "BE0123456789" }, rules);
		expect(be).to.include({ scheme: "reverse_charge", rateBps: 0 });
		expect(be.mention).to.match(/Autoliquidation/).and.match(/283-2/);
		expect(decideVat({ country: "GR", vatNumber: "EL123456789" }, rules).scheme).to.equal("reverse_charge");
	});

	it("charges the school's own country's VAT in the EU without a VAT number (OSS), overridable", () => {
		expect(decideVat({ country: "BE" }, rules)).to.include({ scheme: "eu_oss", rateBps: 2100, country: "BE" });
		expect(decideVat({ country: "DE", vatNumber: "FR40303265045" }, rules)).to.include({ scheme: "eu_oss", rateBps: 1900 });
		expect(decideVat({ country: "DE" }, { domesticRateBps: 2000, countryRates: { DE: 1600 } }).rateBps).to.equal(1600);
	});

	it("charges no French VAT outside the EU (export)", () => {
		for (const country of ["CH", "US", "GB", "MA"]) {
			const d = decideVat({ country, vatNumber: "CHE-123.456.789" }, rules);
			expect(d, country).to.include({ scheme: "export", rateBps: 0 });
			expect(d.mention).to.match(/259-1/);
		}
	});

	it("checks VAT numbers against their country's format and the French key", () => {
		expect(normalizeVatNumber("fr 40 303.265-045")).to.equal("FR40303265045");
		expect(vatNumberProblem("FR", "FR40303265045")).to.equal(null);
		expect(vatNumberProblem("FR", "FR41303265045")).to.match(/wrong key/);
		expect(vatNumberProblem("FR", "DE123456789")).to.match(/starts with FR/);
		expect(vatNumberProblem("DE", "DE12345678")).to.match(/format/);
		expect(vatNumberProblem("NL", "NL123456789B01")).to.equal(null);
		expect(vatNumberProblem("GR", "GR123456789")).to.match(/starts with EL/);
		expect(vatNumberProblem("US", "anything")).to.equal(null);
	});

	it("rounds VAT to the cent", () => {
		expect(vatAmount(149900, 2000)).to.equal(29980);
		expect(vatAmount(965, 2000)).to.equal(193);
		expect(vatAmount(12345, 2100)).to.equal(2592); // 2592.45
	});
});

import { expect } from "chai";
import { formatEuros, formatRate, mulDiv, sumCents } from "../../services/billing/money.js";

describe("billing money", () => {
	it("rounds half away from zero, on integers only", () => {
		expect(mulDiv(149900, 15, 30)).to.equal(74950);
		expect(mulDiv(29900, 1, 31)).to.equal(965); // 964.516...
		expect(mulDiv(25, 1, 2)).to.equal(13); // 12.5 -> 13
		expect(mulDiv(-25, 1, 2)).to.equal(-13);
		expect(mulDiv(5, 2000, 10_000)).to.equal(1);
		expect(mulDiv(2, 2000, 10_000)).to.equal(0);
		expect(() => mulDiv(1.5, 1, 2)).to.throw(RangeError);
		expect(() => mulDiv(1, 1, 0)).to.throw(RangeError);
	});

	it("sums integer cents and refuses fractions", () => {
		expect(sumCents([1, 2, 3])).to.equal(6);
		expect(() => sumCents([1, 0.5])).to.throw(RangeError);
	});

	it("prints French amounts and rates", () => {
		expect(formatEuros(149900)).to.equal("1 499,00 €");
		expect(formatEuros(179880)).to.equal("1 798,80 €");
		expect(formatEuros(5)).to.equal("0,05 €");
		expect(formatEuros(-123456789)).to.equal("-1 234 567,89 €");
		expect(formatRate(2000)).to.equal("20 %");
		expect(formatRate(550)).to.equal("5,5 %");
		expect(formatRate(2550)).to.equal("25,5 %");
		expect(formatRate(210)).to.equal("2,1 %");
	});
});

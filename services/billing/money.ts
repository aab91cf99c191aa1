/**
 * Money is integer cents everywhere. The only divisions (proration, VAT, metered blocks) go through
 * `mulDiv`, which rounds half away from zero as French invoices do (0.5 cent up).
 */

export const CURRENCY = "eur";

/** round(a * b / c) on integers, half away from zero; exact for the magnitudes of invoices. */
export function mulDiv(a: number, b: number, c: number): number {
	if (!Number.isInteger(a) || !Number.isInteger(b) || !Number.isInteger(c) || c <= 0) {
		throw new RangeError(`mulDiv needs integers and a positive divisor: ${a} * ${b} / ${c}`);
	}
	const product = BigInt(a) * BigInt(b);
	const divisor = BigInt(c);
	const sign = product < 0n ? -1n : 1n;
	const magnitude = product < 0n ? -product : product;
	const rounded = (magnitude * 2n + divisor) / (divisor * 2n);
	return Number(sign * rounded);
}

export function assertCents(value: number, what = "amount"): number {
	if (!Number.isSafeInteger(value)) throw new RangeError(`${what} must be an integer number of cents, got ${value}`);
	return value;
}

export function sumCents(values: readonly number[]): number {
	return values.reduce((total, v) => total + assertCents(v), 0);
}

/** "1 234,56 €" (French grouping with a plain space, which the PDF's standard fonts can print). */
export function formatEuros(cents: number): string {
	assertCents(cents);
	const sign = cents < 0 ? "-" : "";
	const abs = Math.abs(cents);
	const units = Math.floor(abs / 100)
		.toString()
		.replace(/\B(?=(\d{3})+(?!\d))/g, " ");
	return `${sign}${units},${String(abs % 100).padStart(2, "0")} €`;
}

/** "20 %" or "5,5 %" from basis points. */
export function formatRate(bps: number): string {
	const whole = Math.floor(bps / 100);
	const rest = bps % 100;
	return rest === 0 ? `${whole} %` : `${whole},${String(rest).padStart(2, "0").replace(/0$/, "")} %`;
}

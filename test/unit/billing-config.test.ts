/** Block 6 settings: defaults, and a bad value stops the process with a message naming the variable. */
import { expect } from "chai";
import { ConfigError, loadSettings } from "../../config/env.js";

const load = (env: Record<string, string>) => loadSettings({ NODE_ENV: "development", ...env }).billing;

describe("billing settings", () => {
	it("defaults to 02:00 on the 1st and hourly dunning in Europe/Paris, off under tests", () => {
		const billing = load({});
		expect(billing).to.include({ cron: "0 2 1 * *", dunningCron: "15 * * * *", timezone: "Europe/Paris", vatRateBps: 2000, paymentTermsDays: 30 });
		expect(billing.dunningDays).to.deep.equal([3, 7, 14]);
		expect(billing.stripeSecretKey).to.equal(undefined);
		expect(loadSettings({ NODE_ENV: "test" }).billing).to.include({ cron: null, dunningCron: null });
		expect(load({ BILLING_CRON: "off" }).cron).to.equal(null);
	});

	it("reads Stripe, VAT, terms, dunning and the seller", () => {
		const billing = load({
			STRIPE_SECRET_KEY: "sk_live_x",
			STRIPE_WEBHOOK_SECRET: "whsec_x",
			STRIPE_API_URL: "http://127.0.0.1:12111",
			BILLING_VAT_RATE: "5.5",
			BILLING_VAT_COUNTRY_RATES: "DE=19,IT=22",
			BILLING_PAYMENT_TERMS_DAYS: "45",
			BILLING_DUNNING_DAYS: "2,5,10,20",
			BILLING_SELLER_NAME: "Learning Platform SAS",
			BILLING_SELLER_ADDRESS: "1 rue de l'Exemple | 75001 Paris",
		});
		expect(billing).to.include({ stripeSecretKey: "sk_live_x", stripeWebhookSecret: "whsec_x", stripeApiUrl: "http://127.0.0.1:12111", vatRateBps: 550, paymentTermsDays: 45 });
		expect(billing.vatCountryRates).to.deep.equal({ DE: 1900, IT: 2200 });
		expect(billing.dunningDays).to.deep.equal([2, 5, 10, 20]);
		expect(billing.seller.address).to.deep.equal(["1 rue de l'Exemple", "75001 Paris"]);
	});

	it("names the variable of a bad value", () => {
		const bad: [string, string][] = [
			["BILLING_CRON", "every day"],
			["BILLING_DUNNING_CRON", "61 * * * *"],
			["BILLING_TIMEZONE", "Europe/Atlantis"],
			["BILLING_VAT_RATE", "twenty"],
			["BILLING_VAT_COUNTRY_RATES", "germany:19"],
			["BILLING_PAYMENT_TERMS_DAYS", "90"],
			["BILLING_DUNNING_DAYS", "7,3"],
			["BILLING_SELLER_COUNTRY", "France"],
			["STRIPE_API_URL", "ftp://stripe"],
		];
		for (const [name, value] of bad) {
			expect(() => load({ [name]: value }), name).to.throw(ConfigError, name);
		}
	});
});

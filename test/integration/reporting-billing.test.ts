/**
 * `reporting projections`, billing through the real block: an invoice issued by the monthly run and paid by
 * bank transfer reaches the school admin's dashboard from billing's own live events, and a rebuild from
 * billing's replay (`invoices.feedExport`) finds exactly what the live feed built.
 */
import { expect } from "chai";
import type { BillingSettings } from "../../config/env.js";
import { rebuild } from "../../services/reporting/rebuild/rebuild.js";
import { http, invoicedSchool, ok, requireStripeMock, resetClock, setBilling, unique, useStripeMock } from "../support/billing.js";
import { bootPlatform } from "../support/platform.js";
import { dashboard, eventually, feedSettled } from "../support/reporting.js";
import { createStaff } from "../support/two-schools.js";

describe("reporting projections (billing's own events)", function () {
	this.timeout(120_000);
	let billingBefore: BillingSettings | undefined;

	before(function () {
		billingBefore = useStripeMock(requireStripeMock(this));
	});
	after(() => {
		resetClock();
		if (billingBefore) setBilling(billingBefore);
	});

	it("an invoice issued and then paid by transfer shows paid, and a rebuild from billing's replay changes nothing", async () => {
		const { broker } = await bootPlatform();
		const root = await createStaff("platform_admin");
		const { admin, school, invoice } = await invoicedSchool(root, "2037-03");
		await ok(http("POST", `/api/billing/invoices/${invoice.id}/mark-paid`, { token: root.token, body: { reference: unique("VIR-") } }));
		const seen = await eventually(() => dashboard("/api/reporting/school", admin), d => d.invoices.rows.some((r: any) => r.invoiceId === invoice.id && r.status === "paid"));
		expect(seen.invoices.rows.find((r: any) => r.invoiceId === invoice.id)).to.include({ number: invoice.number, status: "paid", amountDueCents: 0 });
		await feedSettled();
		const [report] = await rebuild(broker, { schoolId: school.id, verify: true, settleMs: 200 });
		expect(report.differences, "rebuilt from billing's replay vs built from its live events").to.deep.equal([]);
		const after = await dashboard("/api/reporting/school", admin);
		expect(after.invoices.rows.find((r: any) => r.invoiceId === invoice.id)).to.include({ status: "paid" });
	});
});

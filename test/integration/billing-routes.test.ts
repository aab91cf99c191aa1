/**
 * `billing tenancy and bad input`: the Block 6 routes claimed in test/support/route-claims/billing.ts.
 * Tenancy: school A's admin, teacher and student and a support agent try to read, list, pay, correct
 * and cancel school B's billing data; each answer is 403/404 or about A only, carries none of B's data,
 * and B's documents are exactly as they were. Bad input: every write route gets wrong types, missing
 * fields, bad ids, operators, prototype keys, huge values and requests the state forbids; each is a 4xx
 * with the standard error body and nothing stored changes.
 */
import { expect } from "chai";
import type { BillingSettings } from "../../config/env.js";
import { invite, signupSchool, type Account } from "../support/accounts.js";
import { describeChanges, diff, schoolFilter, settledSnapshot, type Snapshot } from "../support/db-snapshot.js";
import {
	bootPlatform, http, invoicedSchool, invoiceOf, ok, requireStripeMock, resetClock, runFor, setBilling, setClock, system, unique, useStripeMock,
} from "../support/billing.js";
import { routeClaims } from "../support/route-claims.js";
import { liveRouteKeys } from "../support/routes.js";
import { createStaff } from "../support/two-schools.js";

type Who = "school_admin" | "teacher" | "student" | "support" | "platform_admin" | "anonymous";

interface World {
	root: Account;
	support: Account;
	a: { admin: Account; teacher: Account; student: Account; schoolId: string; invoice: any; paid: any };
	b: { admin: Account; schoolId: string; invoice: any; creditNote: any; legalName: string; email: string; vat: string; memberIds: string[] };
}

let w: World;
let needles: string[];

const tokenOf = (who: Who) =>
	({ school_admin: w.a.admin.token, teacher: w.a.teacher.token, student: w.a.student.token, support: w.support.token, platform_admin: w.root.token, anonymous: undefined })[who];

/** B's data in an answer, beyond what the request itself named (a 404 may repeat the id it was asked for). */
function leaks(res: { body: unknown }, request: string): string[] {
	const text = typeof res.body === "string" ? res.body : JSON.stringify(res.body ?? "");
	return needles.filter(n => text.includes(n) && !request.includes(n));
}

describe("billing tenancy and bad input", function () {
	this.timeout(180_000);
	let saved: BillingSettings;

	before(async function () {
		const url = requireStripeMock(this);
		await bootPlatform();
		saved = useStripeMock(url);
		const [root, support] = await Promise.all([createStaff("platform_admin"), createStaff("support")]);
		const legalName = unique("Athénée Secret ");
		const email = `${unique("bcompta")}@school.test`;
		const vat = "BE0987654321";
		const b = await invoicedSchool(root, "2037-01", { account: { legalName, billingEmail: email, country: "BE", vatNumber: vat, address: { line1: "Rue B", postalCode: "1000", city: "Bruxelles" } } });
		const note = await ok(http("POST", `/api/billing/invoices/${b.invoice.id}/credit-notes`, { token: root.token, body: { requestId: unique("req-"), reason: "Geste commercial", lines: [{ description: "Geste", amountCents: 1000 }] } }));
		const a = await invoicedSchool(root, "2037-01");
		// A's February, paid by transfer: what "nothing due" probes use.
		setClock("2037-03-01T03:00:00Z");
		await runFor("2037-02", a.school.id);
		const february = await invoiceOf(a.admin, "2037-02");
		await ok(http("POST", `/api/billing/invoices/${february.id}/mark-paid`, { token: root.token, body: { reference: unique("VIR-") } }));
		const paid = await invoiceOf(a.admin, "2037-02");
		const [teacher, student] = await Promise.all([invite(a.admin, "teacher"), invite(a.admin, "student")]);
		w = {
			root,
			support,
			a: { admin: a.admin, teacher, student, schoolId: a.school.id, invoice: a.invoice, paid },
			b: { admin: b.admin, schoolId: b.school.id, invoice: b.invoice, creditNote: note, legalName, email, vat, memberIds: [b.admin.id] },
		};
		needles = [b.school.id, b.invoice.id, b.invoice.number, note.id, note.number, legalName, email, vat];
	});

	after(() => {
		if (saved) setBilling(saved);
		resetClock();
	});

	it("claims only routes the gateway serves", async () => {
		const live = await liveRouteKeys();
		const claims = await routeClaims();
		const ours = [...claims.tenancy.entries()].filter(([, owner]) => owner.startsWith("billing.ts")).map(([key]) => key);
		expect(ours.filter(k => !live.includes(k))).to.deep.equal([]);
		const billingRoutes = live.filter(k => k.includes("/api/billing/") || k.endsWith("/subscription/cancel"));
		expect(billingRoutes.filter(k => !claims.tenancy.has(k)), "billing routes without a tenancy case here").to.deep.equal([]);
	});

	describe("tenancy", () => {
		let bScope: (c: string) => Record<string, unknown>;
		let initial: Snapshot;
		before(async () => {
			bScope = schoolFilter(w.b.schoolId, w.b.memberIds);
			initial = await settledSnapshot(bScope);
		});

		/** Every attacker's answer: one of `statuses` (by role), and none of B's data in it. */
		async function attack(method: string, path: string, expected: Partial<Record<Who, number[]>>, body?: unknown) {
			const problems: string[] = [];
			for (const [who, statuses] of Object.entries(expected) as [Who, number[]][]) {
				const res = await http(method, path, { token: tokenOf(who), ...(body === undefined ? {} : { body }) });
				if (!statuses.includes(res.status)) problems.push(`${who} ${method} ${path} -> ${res.status} (expected ${statuses}): ${JSON.stringify(res.body).slice(0, 200)}`);
				const leaked = leaks(res, `${path} ${JSON.stringify(body ?? "")}`);
				if (leaked.length) problems.push(`${who} ${method} ${path} leaks ${leaked.join(", ")}`);
			}
			expect(problems).to.deep.equal([]);
		}
		const MEMBERS_REFUSED = { teacher: [403], student: [403], support: [403], anonymous: [401] };

		it("GET /api/billing/account shows a school admin their own account only", async () => {
			await attack("GET", "/api/billing/account", { school_admin: [200], ...MEMBERS_REFUSED });
			const own = await ok(http("GET", "/api/billing/account", { token: w.a.admin.token }));
			expect(own.schoolId).to.equal(w.a.schoolId);
		});

		it("PUT /api/billing/account changes the caller's account whatever school the body names", async () => {
			const body = { legalName: unique("Lycée A "), address: { line1: "1 rue A", postalCode: "75001", city: "Paris" }, country: "FR", schoolId: w.b.schoolId };
			await attack("PUT", "/api/billing/account", { school_admin: [422], ...MEMBERS_REFUSED }, body);
			const { schoolId: _drop, ...clean } = body;
			const res = await ok(http("PUT", "/api/billing/account", { token: w.a.admin.token, body: clean }));
			expect(res.schoolId).to.equal(w.a.schoolId);
		});

		it("POST /api/billing/account/setup-intent is for the caller's own school", async () => {
			await attack("POST", "/api/billing/account/setup-intent", { school_admin: [200], ...MEMBERS_REFUSED }, { schoolId: w.b.schoolId });
		});

		it("GET /api/billing/invoices lists the caller's school only, whatever the query names", async () => {
			await attack("GET", `/api/billing/invoices?schoolId=${w.b.schoolId}&pageSize=100`, { school_admin: [200], ...MEMBERS_REFUSED });
			const page = await ok(http("GET", `/api/billing/invoices?schoolId=${w.b.schoolId}&pageSize=100`, { token: w.a.admin.token }));
			expect(page.rows.length).to.be.greaterThan(0);
			expect(page.rows.every((r: any) => r.schoolId === w.a.schoolId)).to.equal(true);
		});

		it("GET /api/billing/invoices/{id}, its PDF, and paying it: another school's invoice is not found", async () => {
			const id = w.b.invoice.id;
			await attack("GET", `/api/billing/invoices/${id}`, { school_admin: [404], ...MEMBERS_REFUSED });
			await attack("GET", `/api/billing/invoices/${id}/pdf`, { school_admin: [404], ...MEMBERS_REFUSED });
			await attack("POST", `/api/billing/invoices/${id}/pay`, { school_admin: [404], ...MEMBERS_REFUSED }, {});
		});

		it("credit notes, void, write-off and transfers are for platform admins only", async () => {
			const id = w.b.invoice.id;
			const everyone = { school_admin: [403], teacher: [403], student: [403], support: [403], anonymous: [401] };
			await attack("POST", `/api/billing/invoices/${id}/credit-notes`, everyone, { requestId: unique("req-"), reason: "Vol", full: true });
			await attack("POST", `/api/billing/invoices/${id}/void`, everyone, { requestId: unique("req-"), reason: "Vol" });
			await attack("POST", `/api/billing/invoices/${id}/uncollectible`, everyone, { reason: "Vol" });
			await attack("POST", `/api/billing/invoices/${id}/mark-paid`, everyone, { reference: "VIR-steal" });
			await attack("POST", `/api/schools/${w.b.schoolId}/subscription/cancel`, everyone, { reason: "Vol" });
		});

		it("GET /api/billing/credit-notes and a credit note with its PDF: another school's are not found or listed", async () => {
			await attack("GET", `/api/billing/credit-notes?invoiceId=${w.b.invoice.id}&schoolId=${w.b.schoolId}`, { school_admin: [200], ...MEMBERS_REFUSED });
			const page = await ok(http("GET", `/api/billing/credit-notes?invoiceId=${w.b.invoice.id}`, { token: w.a.admin.token }));
			expect(page.total).to.equal(0);
			await attack("GET", `/api/billing/credit-notes/${w.b.creditNote.id}`, { school_admin: [404], ...MEMBERS_REFUSED });
			await attack("GET", `/api/billing/credit-notes/${w.b.creditNote.id}/pdf`, { school_admin: [404], ...MEMBERS_REFUSED });
		});

		it("the platform view and the accountant's export are refused to every school member and support", async () => {
			const everyone = { school_admin: [403], teacher: [403], student: [403], support: [403], anonymous: [401] };
			await attack("GET", "/api/billing/overview", everyone);
			await attack("GET", "/api/billing/exports/invoices?from=2037-01-01&to=2037-12-31", everyone);
		});

		it("a platform admin sees any school's invoices, and names the one they want", async () => {
			const page = await ok(http("GET", `/api/billing/invoices?schoolId=${w.b.schoolId}`, { token: w.root.token }));
			expect(page.rows.map((r: any) => r.id)).to.deep.equal([w.b.invoice.id]);
			const csv = await http("GET", "/api/billing/exports/invoices?from=2037-01-01&to=2037-12-31", { token: w.root.token });
			expect(csv.status).to.equal(200);
			expect(csv.headers.get("content-type")).to.contain("text/csv");
			expect(csv.body).to.contain(w.b.invoice.number).and.contain(w.b.creditNote.number);
		});

		it("leaves every billing document of school B exactly as it was", async () => {
			const after = await settledSnapshot(bScope);
			expect(describeChanges(diff(initial, after))).to.deep.equal([]);
		});
	});

	describe("bad input", () => {
		interface Probe {
			name: string;
			method: string;
			path: string;
			who: Who;
			body?: unknown;
			raw?: string;
			statuses: number[];
			type?: string;
		}

		async function probeAll(probes: Probe[]) {
			const before = await settledSnapshot();
			const problems: string[] = [];
			for (const p of probes) {
				const res = await http(p.method, p.path, { token: tokenOf(p.who), ...(p.raw !== undefined ? { raw: p.raw } : p.body !== undefined ? { body: p.body } : {}) });
				const text = typeof res.body === "string" ? res.body : JSON.stringify(res.body);
				if (!p.statuses.includes(res.status)) problems.push(`${p.name}: ${res.status} ${text.slice(0, 200)}`);
				else if (!res.body?.error?.type || !res.body?.error?.message) problems.push(`${p.name}: not the standard error body ${text.slice(0, 200)}`);
				else if (p.type && res.body.error.type !== p.type) problems.push(`${p.name}: type ${res.body.error.type}, expected ${p.type}`);
				if (/\n\s+at |node_modules|\.ts:\d+/.test(text)) problems.push(`${p.name}: stack trace`);
			}
			const after = await settledSnapshot();
			expect([...problems, ...describeChanges(diff(before, after)).map(c => `stored: ${c}`)]).to.deep.equal([]);
			expect(({} as any).polluted, "Object.prototype polluted").to.equal(undefined);
		}

		const big = "x".repeat(100 * 1024);
		const ACCOUNT = () => ({ legalName: "Lycée Probe", address: { line1: "1 rue", postalCode: "75001", city: "Paris" }, country: "FR" });
		const put = (name: string, body: unknown, statuses = [422], type?: string): Probe => ({ name, method: "PUT", path: "/api/billing/account", who: "school_admin", body, statuses, type });

		it("PUT /api/billing/account: wrong types, missing fields, unknown countries and VAT numbers, operators, huge values", async () => {
			const base = ACCOUNT();
			await probeAll([
				put("missing legalName", { ...base, legalName: undefined }),
				put("legalName a number", { ...base, legalName: 12 }),
				put("missing address", { ...base, address: undefined }),
				put("address without postal code", { ...base, address: { line1: "1 rue", city: "Paris" } }),
				put("address with an extra key", { ...base, address: { ...base.address, floor: 2 } }),
				put("unknown country", { ...base, country: "XX" }),
				put("three-letter country", { ...base, country: "FRA" }),
				put("VAT number of the wrong format", { ...base, vatNumber: "FR123" }),
				put("VAT number with a wrong key", { ...base, vatNumber: "FR41303265045" }),
				put("another country's VAT number", { ...base, country: "BE", vatNumber: "FR40303265045" }),
				put("billing email not an email", { ...base, billingEmail: "compta" }),
				put("autoDebit a string", { ...base, autoDebit: "yes" }),
				put("auto-debit without a card", { ...base, autoDebit: true }, [409], "PAYMENT_METHOD_REQUIRED"),
				put("a field clients may not set", { ...base, stripeCustomerId: "cus_forged" }),
				put("an operator as the legal name", { ...base, legalName: { $gt: "" } }, [400, 422]),
				put("100 kB legal name", { ...base, legalName: big }),
				put("an array body", [base], [400, 422]),
				{ name: "__proto__ in the address", method: "PUT", path: "/api/billing/account", who: "school_admin", raw: `{"legalName":"L","country":"FR","address":{"line1":"1","postalCode":"75001","city":"P","__proto__":{"polluted":1}}}`, statuses: [400, 422] },
				{ name: "malformed JSON", method: "PUT", path: "/api/billing/account", who: "school_admin", raw: `{"legalName":`, statuses: [400], type: "MALFORMED_JSON" },
			]);
		});

		it("POST /api/billing/account/setup-intent: not a JSON object, or not a school admin", async () => {
			await probeAll([
				{ name: "array body", method: "POST", path: "/api/billing/account/setup-intent", who: "school_admin", raw: "[1]", statuses: [400, 422] },
				{ name: "operator key", method: "POST", path: "/api/billing/account/setup-intent", who: "school_admin", body: { $where: "1" }, statuses: [400, 422] },
				{ name: "a teacher", method: "POST", path: "/api/billing/account/setup-intent", who: "teacher", body: {}, statuses: [403] },
			]);
		});

		it("credit notes, void and write-off: missing fields, bad lines, too much, unknown or paid invoices", async () => {
			const inv = `/api/billing/invoices/${w.a.invoice.id}`;
			const paid = `/api/billing/invoices/${w.a.paid.id}`;
			const note = (name: string, body: unknown, statuses = [422], type?: string, path = `${inv}/credit-notes`): Probe => ({ name, method: "POST", path, who: "platform_admin", body, statuses, type });
			const req = () => unique("req-");
			await probeAll([
				note("missing requestId", { reason: "Erreur", full: true }),
				note("missing reason", { requestId: req(), full: true }),
				note("neither lines nor full", { requestId: req(), reason: "Erreur" }),
				note("both lines and full", { requestId: req(), reason: "Erreur", full: true, lines: [{ description: "x", amountCents: 100 }] }),
				note("negative amount", { requestId: req(), reason: "Erreur", lines: [{ description: "x", amountCents: -100 }] }),
				note("fractional cents", { requestId: req(), reason: "Erreur", lines: [{ description: "x", amountCents: 10.5 }] }),
				note("amount as a string", { requestId: req(), reason: "Erreur", lines: [{ description: "x", amountCents: "100" }] }),
				note("more than the invoice", { requestId: req(), reason: "Erreur", lines: [{ description: "x", amountCents: 100_000_000 }] }, [422], "AMOUNT_TOO_HIGH"),
				note("an operator in the lines", { requestId: req(), reason: "Erreur", lines: [{ description: { $ne: null }, amountCents: 100 }] }, [400, 422]),
				note("malformed invoice id", { requestId: req(), reason: "Erreur", full: true }, [404, 422], undefined, "/api/billing/invoices/not-an-id/credit-notes"),
				note("unknown invoice", { requestId: req(), reason: "Erreur", full: true }, [404], undefined, "/api/billing/invoices/000000000000000000000000/credit-notes"),
				note("void: missing reason", { requestId: req() }, [422], undefined, `${inv}/void`),
				note("void: a paid invoice", { requestId: req(), reason: "Erreur" }, [409], "INVOICE_STATE", `${paid}/void`),
				note("void: unknown invoice", { requestId: req(), reason: "Erreur" }, [404], undefined, "/api/billing/invoices/000000000000000000000000/void"),
				note("write-off: missing reason", {}, [422], undefined, `${inv}/uncollectible`),
				note("write-off: a paid invoice", { reason: "Perdu" }, [409], "INVOICE_STATE", `${paid}/uncollectible`),
				note("write-off: 100 kB reason", { reason: big }, [422], undefined, `${inv}/uncollectible`),
			]);
		});

		it("paying and marking paid: bad ids, amounts and invoices with nothing due", async () => {
			const inv = `/api/billing/invoices/${w.a.invoice.id}`;
			const paid = `/api/billing/invoices/${w.a.paid.id}`;
			const mark = (name: string, body: unknown, statuses = [422], type?: string, path = `${inv}/mark-paid`): Probe => ({ name, method: "POST", path, who: "platform_admin", body, statuses, type });
			await probeAll([
				mark("missing reference", {}),
				mark("zero amount", { reference: "VIR-1", amountCents: 0 }),
				mark("negative amount", { reference: "VIR-1", amountCents: -1 }),
				mark("fractional amount", { reference: "VIR-1", amountCents: 1.5 }),
				mark("amount as a string", { reference: "VIR-1", amountCents: "100" }),
				mark("more than is due", { reference: "VIR-1", amountCents: w.a.invoice.totalCents + 1 }, [422], "AMOUNT_TOO_HIGH"),
				mark("reference as an operator", { reference: { $gt: "" } }, [400, 422]),
				mark("an invoice already paid", { reference: "VIR-2" }, [409], "INVOICE_NOT_PAYABLE", `${paid}/mark-paid`),
				mark("unknown invoice", { reference: "VIR-3" }, [404], undefined, "/api/billing/invoices/000000000000000000000000/mark-paid"),
				mark("malformed id", { reference: "VIR-3" }, [404, 422], undefined, "/api/billing/invoices/nope/mark-paid"),
				{ name: "pay: an extra field", method: "POST", path: `${inv}/pay`, who: "school_admin", body: { amountCents: 1 }, statuses: [422] },
				{ name: "pay: a paid invoice", method: "POST", path: `${paid}/pay`, who: "school_admin", body: {}, statuses: [409], type: "INVOICE_NOT_PAYABLE" },
				{ name: "pay: unknown invoice", method: "POST", path: "/api/billing/invoices/000000000000000000000000/pay", who: "school_admin", body: {}, statuses: [404] },
				{ name: "pay: malformed id", method: "POST", path: "/api/billing/invoices/%7B%22%24ne%22%3Anull%7D/pay", who: "school_admin", body: {}, statuses: [400, 404, 422] },
			]);
		});

		it("POST /api/schools/{id}/subscription/cancel: missing reason, bad ids", async () => {
			await probeAll([
				{ name: "missing reason", method: "POST", path: `/api/schools/${w.a.schoolId}/subscription/cancel`, who: "platform_admin", body: {}, statuses: [422] },
				{ name: "reason a number", method: "POST", path: `/api/schools/${w.a.schoolId}/subscription/cancel`, who: "platform_admin", body: { reason: 5 }, statuses: [422] },
				{ name: "unknown school", method: "POST", path: "/api/schools/000000000000000000000000/subscription/cancel", who: "platform_admin", body: { reason: "Départ" }, statuses: [404] },
				{ name: "malformed id", method: "POST", path: "/api/schools/nope/subscription/cancel", who: "platform_admin", body: { reason: "Départ" }, statuses: [404, 422] },
			]);
		});

		it("the export refuses days that are not days, ranges backwards and ranges over a year", async () => {
			const get = (name: string, query: string): Probe => ({ name, method: "GET", path: `/api/billing/exports/invoices?${query}`, who: "platform_admin", statuses: [422] });
			await probeAll([
				get("missing to", "from=2037-01-01"),
				get("not a day", "from=2037-02-30&to=2037-03-01"),
				get("French format", "from=01/01/2037&to=2037-03-01"),
				get("backwards", "from=2037-03-01&to=2037-01-01"),
				get("two years", "from=2035-01-01&to=2037-01-01"),
			]);
		});
	});

	it("cancels a subscription once (platform admin, audited): billing stops at the cancellation day", async () => {
		const school = await signupSchool();
		await ok(http("PATCH", `/api/schools/${school.school.id}/subscription`, { token: w.root.token, body: { plan: "essential" } }));
		const canceled = await ok(http("POST", `/api/schools/${school.school.id}/subscription/cancel`, { token: w.root.token, body: { reason: "Fin de contrat" } }));
		expect(canceled).to.include({ lifecycle: "canceled", status: "canceled" });
		const again = await http("POST", `/api/schools/${school.school.id}/subscription/cancel`, { token: w.root.token, body: { reason: "Encore" } });
		expect(again.status).to.equal(200);
		const audit = await ok(http("GET", "/api/audit?action=subscriptions.canceled", { token: school.admin.token }));
		expect(audit.rows).to.have.length(1);
		expect(await system("subscriptions.check", { schoolId: school.school.id, feature: "import" })).to.deep.equal({ allowed: false, reason: "SUBSCRIPTION_INACTIVE" });
	});
});

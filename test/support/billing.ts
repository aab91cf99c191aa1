/**
 * Billing fixtures: Stripe pointed at stripe-mock (STRIPE_MOCK_URL; CI runs it), webhook events signed
 * for real with the `stripe` package, a billing clock a test moves, schools on paid plans, and a PDF's
 * text for assertions.
 */
import { inflateSync } from "node:zlib";
import { expect } from "chai";
import Stripe from "stripe";
import { overrideSettings, settings, type BillingSettings } from "../../config/env.js";
import { billingClock } from "../../services/billing/billing-clock.js";
import { signupSchool, type Account, type SchoolFixture } from "./accounts.js";
import { bootPlatform, http, systemMeta, unique } from "./platform.js";
import { createStaff } from "./two-schools.js";

export const WEBHOOK_SECRET = "whsec_billing_test_suite_secret";
export const STRIPE_TEST_KEY = "sk_test_123";

/** stripe-mock's address, or undefined (the caller skips, naming the variable). */
export function stripeMockUrl(): string | undefined {
	return process.env.STRIPE_MOCK_URL || undefined;
}

/** Skips the calling suite or test when stripe-mock is not configured. */
export function requireStripeMock(ctx: Mocha.Context): string {
	const url = stripeMockUrl();
	if (!url) {
		console.log("      (skipped: STRIPE_MOCK_URL is not set: run `bash .ci/services.sh start stripe`)");
		ctx.skip();
	}
	return url!;
}

/** Billing settings changed for the rest of the process (tests restore what they change). */
export function setBilling(patch: Partial<BillingSettings>): BillingSettings {
	const previous = settings().billing;
	overrideSettings({ billing: { ...previous, ...patch } });
	return previous;
}

export function useStripeMock(url: string): BillingSettings {
	return setBilling({ stripeSecretKey: STRIPE_TEST_KEY, stripeApiUrl: url, stripeWebhookSecret: WEBHOOK_SECRET });
}

/** Moves the billing services' clock to an instant (ISO string or Date). */
export function setClock(at: string | Date): void {
	const date = new Date(at);
	billingClock.use(() => new Date(date));
}

export function resetClock(): void {
	billingClock.reset();
}

export async function system<T = any>(action: string, params: Record<string, unknown> = {}, opts: Record<string, unknown> = {}): Promise<T> {
	const { broker } = await bootPlatform();
	return broker.call(action, params, { meta: systemMeta(), ...opts }) as Promise<T>;
}

export async function ok<T = any>(res: Promise<{ status: number; body: any }>, status = 200): Promise<T> {
	const r = await res;
	expect(r.status, JSON.stringify(r.body)).to.equal(status);
	return r.body;
}

/** A school signed up now, moved by a platform admin to a plan (at the billing clock's time). */
export async function schoolOnPlan(root: Account, plan: string, extra: Record<string, unknown> = {}): Promise<SchoolFixture> {
	const fx = await signupSchool({ name: unique("Billed School ") });
	await ok(http("PATCH", `/api/schools/${fx.school.id}/subscription`, { token: root.token, body: { plan, ...extra } }));
	return fx;
}

export const FR_ADDRESS = { line1: "12 rue des Écoles", postalCode: "69003", city: "Lyon" };

export async function saveAccount(admin: Account, body: Record<string, unknown>): Promise<any> {
	return ok(http("PUT", "/api/billing/account", { token: admin.token, body: { legalName: unique("Lycée "), address: FR_ADDRESS, country: "FR", ...body } }));
}

/** A Stripe event as Stripe would post it, and its signature header made with the webhook secret. */
export function signedEvent(type: string, object: Record<string, unknown>, opts: { id?: string; created?: number; secret?: string } = {}) {
	const event = {
		id: opts.id ?? unique("evt_"),
		object: "event",
		api_version: "2026-10-28",
		created: opts.created ?? Math.floor(Date.now() / 1000),
		type,
		livemode: false,
		pending_webhooks: 1,
		request: { id: null, idempotency_key: null },
		data: { object },
	};
	const payload = JSON.stringify(event);
	const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: opts.secret ?? WEBHOOK_SECRET });
	return { event, payload, header };
}

export async function postWebhook(payload: string, header?: string, contentType = "application/json") {
	const { baseUrl } = await bootPlatform();
	const res = await fetch(`${baseUrl}/api/billing/webhooks/stripe`, {
		method: "POST",
		headers: { "content-type": contentType, ...(header !== undefined ? { "stripe-signature": header } : {}) },
		body: payload,
	});
	const text = await res.text();
	let body: any = text;
	try {
		body = JSON.parse(text);
	} catch {
		/* keep the text */
	}
	return { status: res.status, body };
}

/** A PaymentIntent object as a webhook carries it. */
export function paymentIntent(id: string, status: string, amount: number, extra: Record<string, unknown> = {}) {
	return { id, object: "payment_intent", status, amount, amount_received: status === "succeeded" ? amount : 0, currency: "eur", ...extra };
}

/**
 * The text a PDF shows: its content streams inflated, the strings of its text operators decoded (the
 * standard fonts' WinAnsi: Latin-1 plus a few signs such as €).
 */
export function pdfText(pdf: Buffer): string {
	const raw = pdf.toString("latin1");
	const out: string[] = [];
	const streams = /stream\r?\n/g;
	let match: RegExpExecArray | null;
	while ((match = streams.exec(raw))) {
		const start = match.index + match[0].length;
		const end = raw.indexOf("endstream", start);
		if (end < 0) break;
		const bytes = Buffer.from(raw.slice(start, end), "latin1");
		let content: string;
		try {
			content = inflateSync(bytes).toString("latin1");
		} catch {
			content = bytes.toString("latin1");
		}
		for (const tj of content.matchAll(/\[(.*?)\]\s*TJ/gs)) {
			let line = "";
			for (const part of tj[1].matchAll(/<([0-9a-fA-F]*)>|(-?\d+(?:\.\d+)?)/g)) {
				if (part[1] !== undefined) line += decodeWinAnsi(Buffer.from(part[1], "hex"));
				else if (Number(part[2]) < -200) line += " ";
			}
			out.push(line);
		}
	}
	return out.join("\n");
}

const WIN_ANSI_EXTRA: Record<number, string> = { 0x80: "€", 0x92: "'", 0x95: "•", 0x96: "–", 0x97: "—" };

function decodeWinAnsi(bytes: Buffer): string {
	return [...bytes].map(b => WIN_ANSI_EXTRA[b] ?? String.fromCharCode(b)).join("");
}

/** Waits for a condition that a durable consumer makes true. */
export async function eventually<T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 8000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise(r => setTimeout(r, 40));
	}
}

export interface BillingMail {
	subject: string;
	text: string;
	tag?: string;
	attachments: { filename: string; contentType: string; size: number }[];
}

/**
 * Mail to an address (with a tag), newest first, wherever the platform sends it: to the SMTP server of
 * SMTP_URL (Mailpit, read through its API) or, without one, to the in-memory outbox.
 */
export async function mailsTo(to: string, tag?: string): Promise<BillingMail[]> {
	if (settings().smtpUrl && process.env.MAILPIT_API_URL) return mailpitMailsTo(process.env.MAILPIT_API_URL, to, tag);
	const query = new URLSearchParams({ to, pageSize: "100", ...(tag ? { tag } : {}) });
	const res = await http("GET", `/api/dev/mails?${query}`);
	expect(res.status).to.equal(200);
	return res.body.rows.map((m: any) => ({ subject: m.subject, text: m.text, tag: m.tag, attachments: m.attachments ?? [] }));
}

/** Mail to an address in Mailpit (one mailbox shared by every run: found by its unique recipient). */
export async function mailpitMailsTo(api: string, to: string, tag?: string): Promise<BillingMail[]> {
	const get = async (path: string) => (await fetch(`${api}${path}`)).json();
	const found = await get(`/api/v1/search?limit=200&query=${encodeURIComponent(`to:"${to}"`)}`);
	const out: (BillingMail & { created: string })[] = [];
	for (const summary of found.messages ?? []) {
		if (!summary.To?.some((r: any) => r.Address.toLowerCase() === to.toLowerCase())) continue;
		const headers = await get(`/api/v1/message/${summary.ID}/headers`);
		const mailTag = headers["X-Mail-Tag"]?.[0];
		if (tag !== undefined && mailTag !== tag) continue;
		const full = await get(`/api/v1/message/${summary.ID}`);
		out.push({
			subject: full.Subject,
			text: full.Text ?? "",
			tag: mailTag,
			attachments: (full.Attachments ?? []).map((a: any) => ({ filename: a.FileName, contentType: a.ContentType, size: a.Size, partId: a.PartID, messageId: summary.ID })),
			created: summary.Created,
		});
	}
	return out.sort((a, b) => b.created.localeCompare(a.created));
}

/** Durable billing messages seen by a probe consumer added to the running broker. */
export async function billingEventProbe(channels: string[]): Promise<{ messages: { channel: string; message: any }[]; stop: () => Promise<void> }> {
	const { broker } = await bootPlatform();
	const messages: { channel: string; message: any }[] = [];
	const name = unique("billingProbe");
	const service = broker.createService({
		name,
		channels: Object.fromEntries(channels.map(channel => [channel, { group: name, context: true, handler: (ctx: any) => void messages.push({ channel, message: ctx.params }) }])),
	} as any);
	await broker.waitForServices(name);
	return {
		messages,
		stop: async () => {
			await broker.destroyService(service);
		},
	};
}

export { bootPlatform, http, systemMeta, unique };

/** Gives a school a card the way Stripe.js would: a SetupIntent, then Stripe's signed setup_intent.succeeded. */
export async function addCard(admin: Account): Promise<{ customerId: string; clientSecret: unknown; outcome: unknown }> {
	const intent = await ok(http("POST", "/api/billing/account/setup-intent", { token: admin.token }));
	const { payload, header } = signedEvent("setup_intent.succeeded", {
		id: intent.setupIntentId,
		object: "setup_intent",
		status: "succeeded",
		customer: intent.customerId,
		payment_method: "pm_card_visa",
		metadata: { schoolId: admin.schoolId },
	});
	const res = await postWebhook(payload, header);
	expect(res.status, JSON.stringify(res.body)).to.equal(200);
	return { customerId: intent.customerId, clientSecret: intent.clientSecret, outcome: res.body.outcome };
}

/** The school's invoice of a period, as its admin sees it (with payments). */
export async function invoiceOf(admin: Account, period: string): Promise<any> {
	const page = await ok(http("GET", `/api/billing/invoices?period=${period}`, { token: admin.token }));
	expect(page.rows, `invoices of ${period}`).to.have.length(1);
	return ok(http("GET", `/api/billing/invoices/${page.rows[0].id}`, { token: admin.token }));
}

/** Runs the monthly job for one school (the clock must be past the period). */
export function runFor(period: string, schoolId: string): Promise<any> {
	return system("billingRuns.run", { period, schoolId }, { timeout: 0 });
}

/**
 * A school on a paid plan since the start of `period`, invoiced for it; with `autoDebit`, its card is
 * charged (stripe-mock) and the attempt's PaymentIntent id is known. Leaves the clock after the period.
 */
export async function invoicedSchool(root: Account, period: string, opts: { plan?: string; autoDebit?: boolean; account?: Record<string, unknown> } = {}) {
	const [y, m] = period.split("-").map(Number);
	setClock(new Date(Date.UTC(y, m - 1, 1, 12)));
	const fx = await schoolOnPlan(root, opts.plan ?? "essential");
	await saveAccount(fx.admin, { legalName: unique("Lycée "), ...(opts.account ?? {}) });
	if (opts.autoDebit) {
		await addCard(fx.admin);
		await saveAccount(fx.admin, { legalName: unique("Lycée "), ...(opts.account ?? {}), autoDebit: true });
	}
	setClock(new Date(Date.UTC(y, m, 1, 3)));
	const run = await runFor(period, fx.school.id);
	expect(run.created, JSON.stringify(run)).to.equal(1);
	let invoice = await invoiceOf(fx.admin, period);
	if (opts.autoDebit) {
		invoice = await eventually(async () => {
			const d = await invoiceOf(fx.admin, period);
			return d.payments[0]?.providerPaymentId ? d : null;
		}, "the auto-debit attempt");
	}
	return { ...fx, invoice, paymentIntentId: invoice.payments[0]?.providerPaymentId as string | undefined };
}

/**
 * The hooks of a billing suite on stripe-mock: skips without STRIPE_MOCK_URL, boots the platform, points billing at
 * stripe-mock and hands over a new platform admin; afterwards, billing's settings and clock are put back.
 */
export function stripeMockSuite(withAdmin: (root: Account) => void): void {
	let saved: BillingSettings | undefined;
	before(async function () {
		const url = requireStripeMock(this);
		await bootPlatform();
		saved = useStripeMock(url);
		withAdmin(await createStaff("platform_admin"));
	});
	after(() => {
		if (saved) setBilling(saved);
		resetClock();
	});
}

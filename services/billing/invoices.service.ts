/**
 * Invoices and credit notes: drafts from the monthly run, gapless numbering at finalisation, the PDF,
 * payment state (paid, failed, dunning), corrections by credit note, and the platform's view (MRR,
 * outstanding and overdue amounts, CSV export for the accountant). A final invoice's content is never
 * written again (models/invoice.model.ts guards it); only its payment state moves.
 */
import { createHash } from "node:crypto";
import mongoose from "mongoose";
import { settings } from "../../config/env.js";
import { BillingCounter } from "../../models/billing-counter.model.js";
import { BillingDocument } from "../../models/billing-document.model.js";
import { CreditNote } from "../../models/credit-note.model.js";
import { INVOICE_STATUSES, Invoice } from "../../models/invoice.model.js";
import { recordAudit } from "../shared/audit-trail.js";
import { dbMixin, PAGE_PARAMS, type PageParams } from "../shared/db.mixin.js";
import { publishDurable } from "../shared/durable.js";
import { ClientError, conflict, duplicateKeyIndexes, ERR, invalid, isDuplicateKey, notFound } from "../shared/errors.js";
import { EXPORT_PARAMS, exportPage, type ExportParams } from "../shared/feed-export.js";
import { callerSchoolId, currentUser, hasRole, type Ctx } from "../shared/identity.js";
import { ID } from "../shared/params.js";
import type { ServiceDef } from "../shared/service.js";
import { billingClock } from "./billing-clock.js";
import { computeCredit, CreditTooHigh } from "./credit-notes.js";
import { afterStep, isLastStep, startDunning } from "./dunning.js";
import { contentHash, creditNoteContent, creditNotePdfData, invoiceContent, invoicePdfData } from "./invoice-documents.js";
import { creditNoteCsvRow, invoiceCsvRow, toCsv } from "./invoice-csv.js";
import { renderPdf } from "./invoice-pdf.js";
import { finalizeDrafts, numberingGaps, type Assigned, type Series } from "./numbering.js";
import { addDays, PERIOD_PATTERN, startOfLocalDay } from "./period.js";
import { invoicesPersonalData } from "./personal-data.js";

const INVOICE_FIELDS = [
	"id", "schoolId", "period", "revision", "status", "number", "currency", "seller", "buyer", "lines", "subtotalCents", "vat",
	"totalCents", "amountPaidCents", "amountCreditedCents", "amountDueCents", "periodStart", "periodEnd", "issueDate", "dueDate",
	"autoDebit", "paymentMethodLabel", "checks", "paidAt", "paymentFailedAt", "voidedAt", "uncollectibleAt", "pendingAction", "dunning",
	"creditNoteIds", "contentHash", "createdAt",
];
const CREDIT_NOTE_FIELDS = [
	"id", "schoolId", "invoiceId", "invoiceNumber", "status", "number", "reason", "currency", "seller", "buyer", "lines",
	"subtotalCents", "vat", "totalCents", "voidsInvoice", "refundDueCents", "issueDate", "contentHash", "createdAt",
];

/** The French names of the states, as the issue and the school's accountant use them. */
export const STATUS_LABELS: Readonly<Record<string, string>> = {
	draft: "BROUILLON",
	pending: "EN_ATTENTE",
	paid: "PAYEE",
	payment_failed: "ECHEC_PAIEMENT",
	void: "ANNULEE",
	uncollectible: "IRRECOUVRABLE",
};

/** Invoices a school still owes and is being chased for. */
const OPEN = ["pending", "payment_failed"];
const REQUEST_ID = { type: "string", min: 8, max: 100, pattern: /^[A-Za-z0-9_.:-]+$/ } as const;
const REASON = { type: "string", trim: true, min: 3, max: 500 } as const;
const DAY = { type: "string", pattern: /^\d{4}-\d{2}-\d{2}$/ } as const;

const cfg = () => settings().billing;
const pick = (json: any, fields: string[]) => Object.fromEntries(fields.filter(f => f in json).map(f => [f, json[f]]));

/** Which stored date is the time of each invoice event (the live message and the replay both carry it). */
const FACT_TIME: Record<string, string> = {
	"billing.invoice.created": "announcedAt",
	"billing.invoice.paid": "paidAt",
	"billing.invoice.voided": "voidedAt",
	"billing.invoice.payment_failed": "paymentFailedAt",
};

const InvoicesService: ServiceDef = {
	name: "invoices",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [invoicesPersonalData, dbMixin(Invoice, { fields: INVOICE_FIELDS })],

	actions: {
		list: {
			rest: "GET /billing/invoices",
			params: {
				$$strict: "remove",
				status: { type: "enum", values: INVOICE_STATUSES.filter(s => s !== "draft"), optional: true },
				period: { type: "string", pattern: PERIOD_PATTERN, optional: true },
				schoolId: { ...ID, optional: true },
				...PAGE_PARAMS,
			},
			async handler(this: any, ctx: Ctx<PageParams & { status?: string; period?: string; schoolId?: string }>) {
				const { status, period, schoolId, page, pageSize } = ctx.params;
				const filter: Record<string, unknown> = { ...this.scopeOf(ctx, schoolId), status: status ?? { $ne: "draft" } };
				if (period) filter.period = period;
				const result = await this.pageOf(ctx, filter, { page, pageSize }, { issueDate: -1, _id: -1 });
				return { ...result, rows: result.rows.map((r: any) => this.present(r)) };
			},
		},

		get: {
			rest: "GET /billing/invoices/:id",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const doc = await this.visibleInvoice(ctx, ctx.params.id);
				const [payments, creditNotes] = await Promise.all([
					ctx.call("payments.forInvoice", { invoiceId: ctx.params.id }),
					CreditNote.find({ invoiceId: doc._id, status: "issued" }).sort({ numberSeq: 1 }).lean(),
				]);
				return {
					...this.present(await this.toJSON(ctx, doc)),
					payments,
					creditNotes: (creditNotes as any[]).map(n => ({ id: String(n._id), number: n.number, totalCents: n.totalCents, issueDate: n.issueDate, reason: n.reason })),
				};
			},
		},

		pdf: {
			rest: "GET /billing/invoices/:id/pdf",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const doc = await this.visibleInvoice(ctx, ctx.params.id);
				const file = await this.documentOf("invoice", doc);
				ctx.meta.$responseType = "application/pdf";
				ctx.meta.$responseHeaders = { "Content-Disposition": `inline; filename="${file.filename}"`, "Cache-Control": "private, max-age=3600" };
				return file.pdf;
			},
		},

		creditNote: {
			rest: "POST /billing/invoices/:id/credit-notes",
			params: {
				$$strict: true,
				id: ID,
				requestId: REQUEST_ID,
				reason: REASON,
				full: { type: "boolean", optional: true },
				lines: {
					type: "array",
					optional: true,
					min: 1,
					max: 20,
					items: {
						type: "object",
						strict: true,
						props: { description: { type: "string", trim: true, min: 1, max: 300 }, amountCents: { type: "number", integer: true, min: 1, max: 100_000_000 } },
					},
				},
			},
			async handler(this: any, ctx: Ctx<{ id: string; requestId: string; reason: string; full?: boolean; lines?: { description: string; amountCents: number }[] }>) {
				const { full, lines } = ctx.params;
				if (!!full === !!lines) throw invalid("lines", "give either lines or full: true");
				return this.issueCreditNote(ctx, ctx.params.id, { requestId: ctx.params.requestId, reason: ctx.params.reason, ask: full ? { full: true } : { lines: lines! } });
			},
		},

		void: {
			rest: "POST /billing/invoices/:id/void",
			params: { $$strict: true, id: ID, requestId: REQUEST_ID, reason: REASON },
			async handler(this: any, ctx: Ctx<{ id: string; requestId: string; reason: string }>) {
				const doc = await this.finalInvoice(ctx.params.id);
				const existing = await CreditNote.findOne({ invoiceId: doc._id, requestId: ctx.params.requestId }).lean();
				if (!existing && (doc.amountPaidCents > 0 || !OPEN.includes(doc.status))) {
					throw conflict(`A ${doc.status} invoice${doc.amountPaidCents > 0 ? " with payments" : ""} cannot be voided: issue a credit note`, ERR.INVOICE_STATE);
				}
				return this.issueCreditNote(ctx, ctx.params.id, { requestId: ctx.params.requestId, reason: ctx.params.reason, ask: { full: true } });
			},
		},

		uncollectible: {
			rest: "POST /billing/invoices/:id/uncollectible",
			params: { $$strict: true, id: ID, reason: REASON },
			async handler(this: any, ctx: Ctx<{ id: string; reason: string }>) {
				const doc = await this.finalInvoice(ctx.params.id);
				const updated = await this.model.findOneAndUpdate(
					{ _id: doc._id, status: { $in: OPEN } },
					{ $set: { status: "uncollectible", uncollectibleAt: billingClock.now(), "dunning.nextAt": null } },
					{ new: true },
				);
				if (!updated) throw conflict(`A ${doc.status} invoice cannot be written off`, ERR.INVOICE_STATE);
				await recordAudit(ctx, { schoolId: String(doc.schoolId), action: "billing.invoice.uncollectible", targetType: "invoice", targetId: String(doc._id), data: { number: doc.number, reason: ctx.params.reason, amountDueCents: doc.amountDueCents } });
				return this.present(await this.toJSON(ctx, updated));
			},
		},

		creditNotes: {
			rest: "GET /billing/credit-notes",
			params: { $$strict: "remove", invoiceId: { ...ID, optional: true }, schoolId: { ...ID, optional: true }, ...PAGE_PARAMS },
			async handler(this: any, ctx: Ctx<PageParams & { invoiceId?: string; schoolId?: string }>) {
				const filter: Record<string, unknown> = { ...this.scopeOf(ctx, ctx.params.schoolId), status: "issued" };
				if (ctx.params.invoiceId) filter.invoiceId = ctx.params.invoiceId;
				const pageSize = Math.min(ctx.params.pageSize ?? 20, 100);
				const page = ctx.params.page ?? 1;
				const [docs, total] = await Promise.all([
					CreditNote.find(filter).sort({ issueDate: -1, _id: -1 }).skip((page - 1) * pageSize).limit(pageSize).lean(),
					CreditNote.countDocuments(filter),
				]);
				return { rows: (docs as any[]).map(d => this.creditNoteJson(d)), total, page, pageSize, totalPages: Math.ceil(total / pageSize) };
			},
		},

		creditNoteGet: {
			rest: "GET /billing/credit-notes/:id",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				return this.creditNoteJson(await this.visibleCreditNote(ctx, ctx.params.id));
			},
		},

		creditNotePdf: {
			rest: "GET /billing/credit-notes/:id/pdf",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const note = await this.visibleCreditNote(ctx, ctx.params.id);
				const file = await this.documentOf("credit_note", note);
				ctx.meta.$responseType = "application/pdf";
				ctx.meta.$responseHeaders = { "Content-Disposition": `inline; filename="${file.filename}"`, "Cache-Control": "private, max-age=3600" };
				return file.pdf;
			},
		},

		/** The platform's view: recurring revenue, what is owed and overdue, invoices per status, numbering integrity. */
		overview: {
			rest: "GET /billing/overview",
			params: { $$strict: "remove", period: { type: "string", pattern: PERIOD_PATTERN, optional: true } },
			async handler(this: any, ctx: Ctx<{ period?: string }>) {
				const now = billingClock.now();
				const match: Record<string, unknown> = { status: { $ne: "draft" } };
				if (ctx.params.period) match.period = ctx.params.period;
				const [byStatus, open, mrr, invoiceNumbers, creditNumbers] = await Promise.all([
					this.model.aggregate([{ $match: match }, { $group: { _id: "$status", count: { $sum: 1 }, totalCents: { $sum: "$totalCents" }, dueCents: { $sum: "$amountDueCents" } } }]),
					this.model.find({ status: { $in: OPEN } }, { amountDueCents: 1, dueDate: 1 }).lean(),
					ctx.call("subscriptions.mrr"),
					numberingGaps(BillingCounter, this.model, "invoice"),
					numberingGaps(BillingCounter, CreditNote, "credit_note"),
				]);
				const overdue = (open as any[]).filter(i => i.dueDate && new Date(i.dueDate) < now);
				const statuses = Object.fromEntries(INVOICE_STATUSES.filter(s => s !== "draft").map(s => [s, { count: 0, totalCents: 0, dueCents: 0 }]));
				for (const row of byStatus as any[]) statuses[row._id] = { count: row.count, totalCents: row.totalCents, dueCents: row.dueCents };
				return {
					currency: "eur",
					asOf: now,
					...(mrr as object),
					outstanding: { count: open.length, cents: (open as any[]).reduce((n, i) => n + i.amountDueCents, 0) },
					overdue: { count: overdue.length, cents: overdue.reduce((n, i) => n + i.amountDueCents, 0) },
					invoicesByStatus: statuses,
					numbering: { invoices: invoiceNumbers, creditNotes: creditNumbers },
				};
			},
		},

		/**
		 * The reporting feed's replay (`npm run reporting:rebuild`): each announced invoice as the messages billing
		 * published live, with the same ids: `created`, then its state now (`paid`, `voided`, or `payment_failed`
		 * for its last failed payment). Overdue steps and reminders are not replayed (reporting keeps the state).
		 */
		feedExport: {
			params: EXPORT_PARAMS,
			handler(this: any, ctx: Ctx<ExportParams>) {
				return exportPage(this.model, ctx.params, { announcedAt: { $ne: null } }, (doc: any) => {
					const base = (channel: string, key: string | null, occurredAt: Date | null, extra: Record<string, unknown> = {}) => ({
						channel,
						message: {
							id: `${channel}:${doc._id}${key ? `:${key}` : ""}`,
							schoolId: String(doc.schoolId),
							invoiceId: String(doc._id),
							number: doc.number ?? undefined,
							period: doc.period ?? undefined,
							amountDueCents: doc.amountDueCents ?? undefined,
							currency: doc.currency ?? undefined,
							...(occurredAt ? { occurredAt: new Date(occurredAt).toISOString() } : {}),
							...extra,
						},
					});
					const rows = [base("billing.invoice.created", null, doc.announcedAt, { totalCents: doc.totalCents, autoDebit: !!doc.autoDebit, dueDate: doc.dueDate })];
					if (doc.status === "paid") rows.push(base("billing.invoice.paid", null, doc.paidAt, { amountPaidCents: doc.amountPaidCents }));
					if (doc.status === "void") rows.push(base("billing.invoice.voided", null, doc.voidedAt));
					const lastFailed = doc.failedPaymentIds?.length ? String(doc.failedPaymentIds[doc.failedPaymentIds.length - 1]) : null;
					if (doc.status === "payment_failed" && lastFailed) rows.push(base("billing.invoice.payment_failed", lastFailed, doc.paymentFailedAt));
					return rows;
				});
			},
		},

		/** Invoices and credit notes issued between two days (inclusive, billing time zone), for the accountant. */
		export: {
			rest: "GET /billing/exports/invoices",
			params: { $$strict: "remove", from: DAY, to: DAY },
			async handler(this: any, ctx: Ctx<{ from: string; to: string }>) {
				const tz = cfg().timezone;
				const [fy, fm, fd] = ctx.params.from.split("-").map(Number);
				const [ty, tm, td] = ctx.params.to.split("-").map(Number);
				const start = startOfLocalDay(fy, fm, fd, tz);
				const end = startOfLocalDay(ty, tm, td + 1, tz);
				if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || new Date(Date.UTC(fy, fm - 1, fd)).getUTCDate() !== fd || new Date(Date.UTC(ty, tm - 1, td)).getUTCDate() !== td) {
					throw invalid("from", "from and to must be calendar days (YYYY-MM-DD)");
				}
				if (end <= start) throw invalid("to", "to must not be before from");
				if (end.getTime() - start.getTime() > 400 * 86_400_000) throw invalid("to", "export at most a year at once");
				const range = { issueDate: { $gte: start, $lt: end } };
				const [invoices, notes] = await Promise.all([
					this.model.find({ ...range, status: { $ne: "draft" } }).sort({ numberYear: 1, numberSeq: 1 }).lean(),
					CreditNote.find({ ...range, status: "issued" }).sort({ numberYear: 1, numberSeq: 1 }).lean(),
				]);
				const rows = [...(invoices as any[]).map(i => invoiceCsvRow(i, tz)), ...(notes as any[]).map(n => creditNoteCsvRow(n, tz))];
				ctx.meta.$responseType = "text/csv; charset=utf-8";
				ctx.meta.$responseHeaders = { "Content-Disposition": `attachment; filename="invoices-${ctx.params.from}-${ctx.params.to}.csv"` };
				return toCsv(rows);
			},
		},

		// ---- internal: the monthly run

		/**
		 * Inserts drafts (each with the `_id` the run gave it, so it knows what to finalise); one per
		 * (school, period, revision) whatever runs at once: duplicates are counted, not made.
		 */
		createDrafts: {
			params: { $$strict: "remove", drafts: { type: "array", max: 1000, items: "object" } },
			async handler(this: any, ctx: Ctx<{ drafts: Record<string, unknown>[] }>) {
				if (ctx.params.drafts.length === 0) return { created: 0, duplicates: 0 };
				const now = new Date();
				// Cast to the schema's types without building mongoose documents (which costs milliseconds each).
				const docs = ctx.params.drafts.map(d => {
					const id = new mongoose.Types.ObjectId(String(d._id ?? new mongoose.Types.ObjectId()));
					const doc = this.model.applyDefaults(this.model.castObject({ ...d, _id: id, status: "draft", revision: 0 }));
					return { ...doc, draftKey: String(id), createdAt: now, updatedAt: now };
				});
				let duplicates = 0;
				try {
					await this.model.collection.insertMany(docs, { ordered: false });
				} catch (err) {
					duplicates = duplicateKeyIndexes(err).length;
				}
				return { created: docs.length - duplicates, duplicates };
			},
		},

		/** Makes drafts final (numbers, dates, content hash). With `period`, every draft of it (what a crash left). */
		finalizeDrafts: {
			params: { $$strict: "remove", ids: { type: "array", max: 10_000, items: ID, optional: true }, period: { type: "string", pattern: PERIOD_PATTERN, optional: true } },
			async handler(this: any, ctx: Ctx<{ ids?: string[]; period?: string }>) {
				let ids = ctx.params.ids ?? [];
				if (ctx.params.period) {
					const drafts = await this.model.find({ period: ctx.params.period, status: "draft" }, { _id: 1 }).lean();
					ids = [...new Set([...ids, ...drafts.map((d: any) => String(d._id))])];
				}
				if (ids.length === 0) return { finalized: [] };
				return this.finalize("invoice", ids);
			},
		},

		/**
		 * The period's invoices (the run skips their schools and finalises what a crash left), a page at a
		 * time in _id order: one pass over the period instead of a `schoolId: {$in}` query per batch.
		 */
		forRun: {
			params: {
				$$strict: "remove",
				period: { type: "string", pattern: PERIOD_PATTERN },
				afterId: { ...ID, optional: true },
				limit: { type: "number", integer: true, min: 1, max: 5000, optional: true },
			},
			async handler(this: any, ctx: Ctx<{ period: string; afterId?: string; limit?: number }>) {
				const filter: Record<string, unknown> = { period: ctx.params.period, revision: 0 };
				if (ctx.params.afterId) filter._id = { $gt: ctx.params.afterId };
				const docs = await this.model.find(filter, { schoolId: 1, status: 1 }).sort({ _id: 1 }).limit(ctx.params.limit ?? 5000).lean();
				return docs.map((d: any) => ({ id: String(d._id), schoolId: String(d.schoolId), status: d.status }));
			},
		},

		/** Publishes `billing.invoice.created` for the period's final invoices not yet announced (once each). */
		announce: {
			params: { $$strict: "remove", period: { type: "string", pattern: PERIOD_PATTERN }, ids: { type: "array", max: 10_000, items: ID, optional: true } },
			async handler(this: any, ctx: Ctx<{ period: string; ids?: string[] }>) {
				const filter: Record<string, unknown> = { period: ctx.params.period, status: { $ne: "draft" }, announcedAt: null };
				if (ctx.params.ids) filter._id = { $in: ctx.params.ids };
				const docs = await this.model.find(filter, { schoolId: 1, number: 1, period: 1, totalCents: 1, amountDueCents: 1, autoDebit: 1, dueDate: 1, currency: 1 }).lean();
				const announced: string[] = [];
				for (let i = 0; i < docs.length; i += 200) {
					const batch = (docs as any[]).slice(i, i + 200);
					const at = billingClock.now();
					await Promise.all(batch.map(d => this.publish("billing.invoice.created", { ...d, announcedAt: at }, { totalCents: d.totalCents, autoDebit: !!d.autoDebit, dueDate: d.dueDate })));
					const ids = batch.map(d => d._id);
					// By _id alone (the fast shape on every server); announcing twice at once only repeats a message consumers dedupe.
					await this.model.updateMany({ _id: { $in: ids } }, { $set: { announcedAt: at } });
					announced.push(...ids.map(String));
				}
				return { announced: announced.length };
			},
		},

		// ---- internal: payments and dunning

		/** An invoice as payments need it (no tenant: the caller names the school it acts for). */
		resolve: {
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const doc = await this.model.findById(ctx.params.id).lean();
				if (!doc) throw notFound("Invoice", ctx.params.id);
				return { id: String(doc._id), schoolId: String(doc.schoolId), number: doc.number ?? null, status: doc.status, amountDueCents: doc.amountDueCents, currency: doc.currency, autoDebit: !!doc.autoDebit, dunning: doc.dunning ?? null, pendingAction: doc.pendingAction ?? null };
			},
		},

		/** A payment that succeeded (card, transfer): counted once, the invoice paid when nothing is left due. */
		applyPayment: {
			params: { $$strict: "remove", invoiceId: ID, paymentId: { type: "string", min: 1, max: 100 }, amountCents: { type: "number", integer: true, min: 1 }, method: { type: "string", max: 40 } },
			async handler(this: any, ctx: Ctx<{ invoiceId: string; paymentId: string; amountCents: number; method: string }>) {
				return this.applyPayment(ctx, ctx.params);
			},
		},

		/** A payment that failed: the invoice is payment_failed, dunning starts (or, after its last step, the school is suspended). */
		recordPaymentFailure: {
			params: { $$strict: "remove", invoiceId: ID, paymentId: { type: "string", min: 1, max: 100 }, attempt: { type: "number", integer: true, min: 1 }, reason: { type: "string", max: 500 }, code: { type: "string", max: 100 } },
			async handler(this: any, ctx: Ctx<{ invoiceId: string; paymentId: string; attempt: number; reason: string; code: string }>) {
				return this.recordFailure(ctx, ctx.params);
			},
		},

		/** A payment waiting for the school admin (3-D Secure): remembered and announced with a link. */
		setPendingAction: {
			params: { $$strict: "remove", invoiceId: ID, paymentIntentId: { type: "string", min: 1, max: 255 } },
			async handler(this: any, ctx: Ctx<{ invoiceId: string; paymentIntentId: string }>) {
				const { invoiceId, paymentIntentId } = ctx.params;
				const updated = await this.model.findOneAndUpdate(
					{ _id: invoiceId, status: { $in: OPEN }, "pendingAction.paymentIntentId": { $ne: paymentIntentId } },
					{ $set: { pendingAction: { paymentIntentId, type: "authentication_required", since: billingClock.now() } } },
					{ new: true },
				);
				if (!updated) return { changed: false };
				await this.publish("billing.payment.action_required", updated, { paymentIntentId, url: this.payUrl(updated), messageKey: paymentIntentId });
				return { changed: true };
			},
		},

		/**
		 * Unpaid transfer invoices past their due date whose dunning has not started: it starts at the due date.
		 * (Auto-debit invoices are due at issue; their dunning starts with a failed payment instead.)
		 */
		startOverdue: {
			async handler(this: any, ctx: Ctx) {
				const now = billingClock.now();
				const docs = await this.model.find({ status: "pending", autoDebit: { $ne: true }, dunning: null, dueDate: { $lt: now }, amountDueCents: { $gt: 0 } }).limit(1000);
				let started = 0;
				for (const doc of docs) {
					const state = startDunning(doc.dueDate, cfg().dunningDays);
					const claimed = await this.model.findOneAndUpdate({ _id: doc._id, dunning: null, status: "pending" }, { $set: { dunning: state } }, { new: true });
					if (!claimed) continue;
					started++;
					await this.schoolTransition(ctx, String(doc.schoolId), "payment_failed");
					await this.publish("billing.invoice.overdue", claimed, { step: 0, messageKey: "0" });
				}
				return { started };
			},
		},

		/** Claims the dunning steps now due (each once, whatever runs at once) and says what to do for each. */
		claimDunningSteps: {
			params: { $$strict: "remove", limit: { type: "number", integer: true, min: 1, max: 1000, optional: true } },
			async handler(this: any, ctx: Ctx<{ limit?: number }>) {
				const now = billingClock.now();
				const days = cfg().dunningDays;
				const due = await this.model.find({ status: { $in: OPEN }, "dunning.nextAt": { $lte: now } }).limit(ctx.params.limit ?? 500);
				const steps = [];
				for (const doc of due) {
					const next = afterStep(doc.dunning.toObject(), days);
					const claimed = await this.model.findOneAndUpdate(
						{ _id: doc._id, "dunning.step": doc.dunning.step, status: { $in: OPEN } },
						{ $set: { dunning: { ...next, attempts: doc.autoDebit ? next.attempts + 1 : next.attempts } } },
						{ new: true },
					);
					if (!claimed) continue;
					steps.push({
						invoiceId: String(doc._id),
						schoolId: String(doc.schoolId),
						step: next.step,
						last: isLastStep(next.step, days),
						autoDebit: !!doc.autoDebit,
						attempt: claimed.dunning.attempts,
					});
				}
				return steps;
			},
		},

		/** A dunning step for a school paying by transfer: a reminder, and suspension after the last one. */
		remind: {
			params: { $$strict: "remove", invoiceId: ID, step: { type: "number", integer: true, min: 1 }, last: "boolean" },
			async handler(this: any, ctx: Ctx<{ invoiceId: string; step: number; last: boolean }>) {
				const doc = await this.model.findById(ctx.params.invoiceId);
				if (!doc || !OPEN.includes(doc.status)) return { reminded: false };
				await this.publish("billing.invoice.overdue", doc, { step: ctx.params.step, messageKey: String(ctx.params.step) });
				if (ctx.params.last) await this.suspendFor(ctx, doc);
				return { reminded: true };
			},
		},

		/** Auto-debit invoices with no payment attempt an hour after their announcement (a lost message). */
		uncollected: {
			async handler(this: any) {
				const before = new Date(billingClock.now().getTime() - 3_600_000);
				const docs = await this.model.find({ status: "pending", autoDebit: true, dunning: null, announcedAt: { $lt: before }, amountDueCents: { $gt: 0 } }, { _id: 1 }).limit(500).lean();
				return docs.map((d: any) => String(d._id));
			},
		},

		/** The stored PDF of an invoice or credit note (for mail attachments). */
		document: {
			params: { $$strict: "remove", id: ID, kind: { type: "enum", values: ["invoice", "credit_note"] } },
			async handler(this: any, ctx: Ctx<{ id: string; kind: "invoice" | "credit_note" }>) {
				const doc = ctx.params.kind === "invoice" ? await this.finalInvoice(ctx.params.id) : await CreditNote.findOne({ _id: ctx.params.id, status: "issued" });
				if (!doc) throw notFound("CreditNote", ctx.params.id);
				const file = await this.documentOf(ctx.params.kind, doc);
				// nodemailer's attachment shape, so the mailer passes it on as it is.
				return { filename: file.filename, contentType: "application/pdf", content: file.pdf.toString("base64"), encoding: "base64", sha256: file.sha256 };
			},
		},
	},

	methods: {
		/** The schools the caller may see: their own, or (platform admins) any or the one they name. */
		scopeOf(ctx: Ctx<any>, schoolId?: string): Record<string, unknown> {
			if (hasRole(ctx.meta.user, "platform_admin") && !ctx.meta.user?.schoolId) return schoolId ? { schoolId } : {};
			return { schoolId: callerSchoolId(ctx) };
		},

		present(this: any, json: any) {
			const out = { ...json, statusLabel: STATUS_LABELS[json.status] };
			if (json.pendingAction) out.pendingAction = { ...json.pendingAction, url: this.payUrl(json) };
			return out;
		},

		payUrl(doc: any): string {
			return `${settings().publicUrl}/billing/invoices/${String(doc._id ?? doc.id)}/pay`;
		},

		async visibleInvoice(this: any, ctx: Ctx<any>, id: string) {
			const doc = mongoose.isValidObjectId(id) ? await this.model.findOne({ ...this.scopeOf(ctx), _id: id, status: { $ne: "draft" } }) : null;
			if (!doc) throw notFound("Invoice", id);
			return doc;
		},

		async visibleCreditNote(this: any, ctx: Ctx<any>, id: string) {
			const doc = mongoose.isValidObjectId(id) ? await CreditNote.findOne({ ...this.scopeOf(ctx), _id: id, status: "issued" }) : null;
			if (!doc) throw notFound("CreditNote", id);
			return doc;
		},

		async finalInvoice(this: any, id: string) {
			const doc = await this.model.findOne({ _id: id, status: { $ne: "draft" } });
			if (!doc) throw notFound("Invoice", id);
			return doc;
		},

		creditNoteJson(doc: any) {
			const plain = typeof doc.toObject === "function" ? doc.toObject() : doc;
			return { ...pick({ ...plain, id: String(plain._id), schoolId: String(plain.schoolId), invoiceId: String(plain.invoiceId) }, CREDIT_NOTE_FIELDS) };
		},

		/** Numbers drafts of a series (invoices or credit notes) and sets what becomes final with the number. */
		async finalize(this: any, series: Series, ids: string[]) {
			const terms = cfg().paymentTermsDays;
			const documents = series === "invoice" ? this.model : CreditNote;
			return finalizeDrafts(ids, {
				series,
				counters: BillingCounter,
				documents,
				timeZone: cfg().timezone,
				now: () => billingClock.now(),
				claimTtlMs: this.claimTtlMs ?? 30_000,
				finalFields: (draft: any, assigned: Assigned) => {
					const plain = typeof draft.toObject === "function" ? draft.toObject() : draft;
					if (series === "credit_note") {
						const content = creditNoteContent({ ...plain, number: assigned.number, issueDate: assigned.issuedAt });
						return { status: "issued", issueDate: assigned.issuedAt, contentHash: contentHash(content) };
					}
					// Auto-debit is collected at once; a transfer is due after the payment terms.
					const dueDate = plain.autoDebit ? assigned.issuedAt : addDays(assigned.issuedAt, terms);
					const content = invoiceContent({ ...plain, number: assigned.number, issueDate: assigned.issuedAt, dueDate });
					return { status: "pending", issueDate: assigned.issuedAt, dueDate, contentHash: contentHash(content) };
				},
			});
		},

		/** The stored PDF of a final document, rendered and kept on first need. */
		async documentOf(this: any, kind: "invoice" | "credit_note", doc: any): Promise<{ filename: string; pdf: Buffer; sha256: string }> {
			const stored = await BillingDocument.findOne({ ownerId: doc._id }).lean<any>();
			if (stored) return { filename: stored.filename, pdf: Buffer.from(stored.pdf.buffer ?? stored.pdf), sha256: stored.sha256 };
			const data = kind === "invoice" ? invoicePdfData(doc) : creditNotePdfData(doc);
			const pdf = await renderPdf(data, cfg().timezone);
			const filename = `${kind === "invoice" ? "facture" : "avoir"}-${doc.number}.pdf`;
			const sha256 = createHash("sha256").update(pdf).digest("hex");
			try {
				await BillingDocument.create({ ownerId: doc._id, kind, schoolId: doc.schoolId, filename, sha256, pdf });
				return { filename, pdf, sha256 };
			} catch (err) {
				// Rendered twice at once: the first stored copy is the copy.
				if (!isDuplicateKey(err)) throw err;
				return this.documentOf(kind, doc);
			}
		},

		async issueCreditNote(this: any, ctx: Ctx<any>, invoiceId: string, req: { requestId: string; reason: string; ask: { full: true } | { lines: { description: string; amountCents: number }[] } }) {
			const invoice = await this.finalInvoice(invoiceId);
			let note = await CreditNote.findOne({ invoiceId: invoice._id, requestId: req.requestId });
			if (!note) {
				if (invoice.status === "draft") throw conflict("A draft has no credit note", ERR.INVOICE_STATE);
				const prior = await CreditNote.find({ invoiceId: invoice._id, status: "issued" }).lean();
				let amounts;
				try {
					amounts = computeCredit(invoice.toObject(), (prior as any[]).map(p => ({ subtotalCents: p.subtotalCents, vatCents: p.vat.amountCents, totalCents: p.totalCents })), req.ask);
				} catch (err) {
					if (err instanceof CreditTooHigh) throw new ClientError(err.message, 422, ERR.AMOUNT_TOO_HIGH, { remainingCents: err.remainingCents, askedCents: err.askedCents });
					throw err;
				}
				try {
					const _id = new mongoose.Types.ObjectId();
					note = await CreditNote.create({
						_id,
						draftKey: String(_id),
						schoolId: invoice.schoolId,
						invoiceId: invoice._id,
						invoiceNumber: invoice.number,
						requestId: req.requestId,
						reason: req.reason,
						currency: invoice.currency,
						seller: invoice.seller,
						buyer: invoice.buyer,
						lines: amounts.lines,
						subtotalCents: amounts.subtotalCents,
						vat: { ...invoice.vat.toObject(), amountCents: amounts.vatCents },
						totalCents: amounts.totalCents,
						voidsInvoice: amounts.voidsInvoice,
						refundDueCents: amounts.refundDueCents,
						createdBy: currentUser(ctx).id,
					});
				} catch (err) {
					if (!isDuplicateKey(err)) throw err;
					note = await CreditNote.findOne({ invoiceId: invoice._id, requestId: req.requestId });
				}
			}
			if (note!.status === "draft") {
				await this.finalize("credit_note", [String(note!._id)]);
				note = await CreditNote.findById(note!._id);
			}
			const applied = await this.applyCredit(ctx, note);
			if (applied) {
				await recordAudit(ctx, {
					schoolId: String(invoice.schoolId),
					action: "billing.creditNote.issued",
					targetType: "invoice",
					targetId: String(invoice._id),
					data: { invoiceNumber: invoice.number, creditNoteNumber: note!.number, totalCents: note!.totalCents, reason: req.reason },
				});
			}
			return this.creditNoteJson(note);
		},

		/** Counts an issued credit note on its invoice once (the invoice voided when nothing is left due or paid). */
		async applyCredit(this: any, ctx: Ctx<any>, note: any): Promise<boolean> {
			for (;;) {
				const inv = await this.model.findById(note.invoiceId);
				if (inv.creditNoteIds.some((id: any) => String(id) === String(note._id))) {
					if (!note.appliedAt) await CreditNote.updateOne({ _id: note._id }, { $set: { appliedAt: billingClock.now() } });
					return false;
				}
				const credited = inv.amountCreditedCents + note.totalCents;
				const due = Math.max(0, inv.totalCents - inv.amountPaidCents - credited);
				const now = billingClock.now();
				const set: Record<string, unknown> = { amountCreditedCents: credited, amountDueCents: due };
				let event: string | null = null;
				if (due === 0 && OPEN.includes(inv.status)) {
					if (inv.amountPaidCents === 0) {
						Object.assign(set, { status: "void", voidedAt: now, "dunning.nextAt": null, pendingAction: null });
						event = "billing.invoice.voided";
					} else {
						Object.assign(set, { status: "paid", paidAt: now, "dunning.nextAt": null, pendingAction: null });
						event = "billing.invoice.paid";
					}
				}
				// Optimistic: the amounts we read are in the filter, so a concurrent payment makes us read again.
				const updated = await this.model.findOneAndUpdate(
					{ _id: inv._id, amountPaidCents: inv.amountPaidCents, amountCreditedCents: inv.amountCreditedCents, status: inv.status, creditNoteIds: { $ne: note._id } },
					{ $set: set, $push: { creditNoteIds: note._id } },
					{ new: true },
				);
				if (!updated) continue;
				await CreditNote.updateOne({ _id: note._id }, { $set: { appliedAt: now } });
				if (event) {
					await this.publish(event, updated, { creditNoteId: String(note._id), creditNoteNumber: note.number });
					await this.settleSchool(ctx, String(updated.schoolId));
				}
				return true;
			}
		},

		async applyPayment(this: any, ctx: Ctx<any>, p: { invoiceId: string; paymentId: string; amountCents: number; method: string }) {
			for (;;) {
				const inv = await this.model.findById(p.invoiceId);
				if (!inv) throw notFound("Invoice", p.invoiceId);
				if (inv.status === "draft") throw conflict("A draft cannot be paid", ERR.INVOICE_STATE);
				if (inv.appliedPaymentIds.includes(p.paymentId)) return { applied: false, status: inv.status };
				const paid = inv.amountPaidCents + p.amountCents;
				const due = Math.max(0, inv.totalCents - paid - inv.amountCreditedCents);
				const now = billingClock.now();
				const becomesPaid = due === 0 && inv.status !== "paid" && inv.status !== "void";
				const set: Record<string, unknown> = { amountPaidCents: paid, amountDueCents: due };
				if (becomesPaid) Object.assign(set, { status: "paid", paidAt: now, pendingAction: null, "dunning.nextAt": null });
				const updated = await this.model.findOneAndUpdate(
					{ _id: inv._id, amountPaidCents: inv.amountPaidCents, amountCreditedCents: inv.amountCreditedCents, status: inv.status, appliedPaymentIds: { $ne: p.paymentId } },
					{ $set: set, $push: { appliedPaymentIds: p.paymentId } },
					{ new: true },
				);
				if (!updated) continue;
				if (inv.status === "void") this.logger.warn("A payment arrived for a voided invoice: refund it", { invoiceId: p.invoiceId, paymentId: p.paymentId });
				if (becomesPaid) {
					await this.publish("billing.invoice.paid", updated, { paymentId: p.paymentId, method: p.method, amountPaidCents: paid });
					await this.settleSchool(ctx, String(updated.schoolId));
				}
				return { applied: true, status: updated.status, amountDueCents: due };
			}
		},

		async recordFailure(this: any, ctx: Ctx<any>, p: { invoiceId: string; paymentId: string; attempt: number; reason: string; code: string }) {
			const days = cfg().dunningDays;
			const inv = await this.model.findById(p.invoiceId);
			if (!inv) throw notFound("Invoice", p.invoiceId);
			if (!OPEN.includes(inv.status) || inv.failedPaymentIds.includes(p.paymentId)) return { handled: false, status: inv.status };
			const now = billingClock.now();
			const dunning = inv.dunning?.startedAt ? { ...inv.dunning.toObject(), attempts: Math.max(inv.dunning.attempts ?? 0, p.attempt) } : startDunning(now, days, p.attempt);
			const updated = await this.model.findOneAndUpdate(
				{ _id: inv._id, status: { $in: OPEN }, failedPaymentIds: { $ne: p.paymentId } },
				{ $set: { status: "payment_failed", paymentFailedAt: now, dunning, pendingAction: null }, $push: { failedPaymentIds: p.paymentId } },
				{ new: true },
			);
			if (!updated) return { handled: false };
			await this.schoolTransition(ctx, String(inv.schoolId), "payment_failed");
			const exhausted = !!inv.dunning?.startedAt && isLastStep(inv.dunning.step, days);
			await this.publish("billing.invoice.payment_failed", updated, {
				attempt: p.attempt,
				reason: p.reason,
				code: p.code,
				nextRetryAt: exhausted ? null : updated.dunning?.nextAt ?? null,
				url: this.payUrl(updated),
				messageKey: p.paymentId,
			});
			if (exhausted) await this.suspendFor(ctx, updated);
			return { handled: true, status: "payment_failed", exhausted };
		},

		async suspendFor(this: any, ctx: Ctx<any>, inv: any) {
			const result: any = await this.schoolTransition(ctx, String(inv.schoolId), "dunning_exhausted");
			if (result?.changed) await this.publish("billing.subscription.suspended", inv, { messageKey: "suspended" });
		},

		/** Once nothing is overdue any more, a past-due or suspended school is active again. */
		async settleSchool(this: any, ctx: Ctx<any>, schoolId: string) {
			const stillOwed = await this.model.exists({ schoolId, status: { $in: OPEN }, dunning: { $ne: null } });
			if (stillOwed) return;
			const result: any = await this.schoolTransition(ctx, schoolId, "paid_up");
			if (result?.changed) await this.publish("billing.subscription.reactivated", { schoolId, _id: schoolId }, { messageKey: String(billingClock.now().getTime()) });
		},

		/** A lifecycle event of the school's subscription; a school without one (removed since) only gets a log line. */
		async schoolTransition(this: any, ctx: Ctx<any>, schoolId: string, event: string) {
			try {
				return await ctx.call("subscriptions.transition", { schoolId, event });
			} catch (err: any) {
				if (err?.code !== 404) throw err;
				this.logger.warn("An invoice's school has no subscription any more", { schoolId, event });
				return { changed: false };
			}
		},

		/**
		 * A durable billing event about an invoice. Its id names the fact (invoice, event and, when a fact
		 * can happen again, what distinguishes it), so a consumer acts once however often it is delivered.
		 */
		publish(this: any, channel: string, inv: any, extra: Record<string, unknown> = {}) {
			const { messageKey, ...rest } = extra as { messageKey?: string };
			const invoiceId = String(inv._id ?? inv.id);
			return publishDurable(this.broker, channel, {
				id: `${channel}:${invoiceId}${messageKey ? `:${messageKey}` : ""}`,
				// The time billing stored for the fact (its own clock), so a replay (feedExport) carries the same.
				occurredAt: new Date(FACT_TIME[channel] && inv[FACT_TIME[channel]] ? inv[FACT_TIME[channel]] : billingClock.now()).toISOString(),
				schoolId: String(inv.schoolId),
				invoiceId: channel.startsWith("billing.subscription.") ? undefined : invoiceId,
				number: inv.number ?? undefined,
				period: inv.period ?? undefined,
				amountDueCents: inv.amountDueCents ?? undefined,
				currency: inv.currency ?? undefined,
				...rest,
			});
		},
	},

	async started(this: any) {
		await Promise.all([BillingCounter.init(), BillingDocument.init(), CreditNote.init()]);
	},
};

export default InvoicesService;

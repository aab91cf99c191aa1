/**
 * What the school's billing contacts (the billing email and the active school admins) hear about their
 * invoices: a mail (the invoice's PDF attached when it is issued) and an in-app notification, for each
 * durable billing event. In-app notifications are made once per message (their sourceId); a mail may be
 * sent again only if a delivery failed after it left, which durable messages allow (at least once).
 */
import { settings } from "../../config/env.js";
import type { DurableMessage } from "../shared/durable.js";
import { systemMeta, type Ctx } from "../shared/identity.js";
import type { ServiceDef } from "../shared/service.js";
import { periodLabel } from "./invoice-amounts.js";
import { formatEuros } from "./money.js";
import { localDay } from "./period.js";

interface BillingMessage extends DurableMessage {
	invoiceId?: string;
	number?: string;
	period?: string;
	amountDueCents?: number;
	totalCents?: number;
	dueDate?: string;
	autoDebit?: boolean;
	reason?: string;
	nextRetryAt?: string | null;
	url?: string;
	step?: number;
	creditNoteId?: string;
	creditNoteNumber?: string;
}

interface Notice {
	title: string;
	body: string;
	/** Which stored PDF goes with the mail. */
	attach?: { id: string; kind: "invoice" | "credit_note" };
}

const day = (iso?: string | null) => {
	if (!iso) return "";
	const [y, m, d] = localDay(new Date(iso), settings().billing.timezone).split("-");
	return `${d}/${m}/${y}`;
};
const money = (cents?: number) => (cents === undefined ? "" : formatEuros(cents).replace("€", "EUR"));

/** The text of each billing event, in French (the platform's invoices are French). */
export function noticeFor(channel: string, m: BillingMessage): Notice | null {
	const link = m.invoiceId ? `${settings().publicUrl}/billing/invoices/${m.invoiceId}` : `${settings().publicUrl}/billing`;
	const ref = m.number ? `la facture ${m.number}` : "votre facture";
	switch (channel) {
		case "billing.invoice.created":
			return {
				title: `Facture ${m.number}${m.period ? ` — ${periodLabel(m.period)}` : ""}`,
				body: [
					`Votre facture ${m.number} d'un montant de ${money(m.totalCents)} TTC est disponible (PDF joint).`,
					m.autoDebit ? "Ce montant sera prélevé automatiquement sur votre carte." : `Échéance : ${day(m.dueDate)}.`,
					`Consulter la facture : ${link}`,
				].join("\n"),
				attach: m.invoiceId ? { id: m.invoiceId, kind: "invoice" } : undefined,
			};
		case "billing.invoice.paid":
			return { title: `Paiement reçu — facture ${m.number}`, body: `Merci : ${ref} est réglée.\n${link}` };
		case "billing.invoice.payment_failed":
			return {
				title: `Échec du paiement — facture ${m.number}`,
				body: [
					`Le paiement de ${ref} (${money(m.amountDueCents)}) a échoué${m.reason ? ` : ${m.reason}` : ""}.`,
					m.nextRetryAt ? `Nouvelle tentative le ${day(m.nextRetryAt)}.` : "Aucune nouvelle tentative automatique n'est prévue.",
					`Payer maintenant ou changer de carte : ${m.url ?? link}`,
				].join("\n"),
			};
		case "billing.payment.action_required":
			return {
				title: `Authentification requise — facture ${m.number}`,
				body: `Votre banque demande une authentification (3-D Secure) pour payer ${ref} (${money(m.amountDueCents)}).\nFinaliser le paiement : ${m.url ?? link}`,
			};
		case "billing.invoice.overdue":
			return {
				title: `Rappel : facture ${m.number} impayée`,
				body: `${ref[0].toUpperCase()}${ref.slice(1)} (${money(m.amountDueCents)}) n'est pas réglée${m.step ? ` (relance ${m.step})` : ""}.\nRégler la facture : ${link}`,
			};
		case "billing.invoice.voided":
			return {
				title: `Facture ${m.number} annulée`,
				body: `${ref[0].toUpperCase()}${ref.slice(1)} est annulée par l'avoir ${m.creditNoteNumber} (PDF joint).\n${link}`,
				attach: m.creditNoteId ? { id: m.creditNoteId, kind: "credit_note" } : undefined,
			};
		case "billing.subscription.suspended":
			return {
				title: "Abonnement suspendu pour impayé",
				body: `Faute de paiement de ${ref}, l'abonnement de votre établissement est suspendu. L'accès à la facturation reste ouvert : réglez la facture pour le réactiver.\n${link}`,
			};
		case "billing.subscription.reactivated":
			return { title: "Abonnement réactivé", body: `Merci pour votre règlement : l'abonnement de votre établissement est de nouveau actif.\n${settings().publicUrl}/billing` };
		default:
			return null;
	}
}

const CHANNELS = [
	"billing.invoice.created",
	"billing.invoice.paid",
	"billing.invoice.payment_failed",
	"billing.invoice.voided",
	"billing.invoice.overdue",
	"billing.payment.action_required",
	"billing.subscription.suspended",
	"billing.subscription.reactivated",
];

/** moleculer's schema type does not know the `channels` section @moleculer/channels reads. */
const BillingNoticesService: ServiceDef & { channels: Record<string, unknown> } = {
	name: "billingNotices",

	channels: Object.fromEntries(
		CHANNELS.map(channel => [
			channel,
			{
				group: "billing-notices",
				context: true,
				async handler(this: any, ctx: Ctx<BillingMessage>) {
					ctx.meta.user = systemMeta().user;
					await this.deliver(ctx, channel, ctx.params);
				},
			},
		]),
	),

	methods: {
		async deliver(this: any, ctx: Ctx<any>, channel: string, message: BillingMessage) {
			const notice = noticeFor(channel, message);
			if (!notice || !message.schoolId) return;
			const contacts = (await ctx.call("billingAccounts.contacts", { schoolId: message.schoolId })) as { emails: string[]; userIds: string[] };
			const data = { invoiceId: message.invoiceId ?? null, number: message.number ?? null, channel };
			// In-app first: it is idempotent, so a redelivery after a mail failure notifies nobody twice.
			for (const userId of contacts.userIds) {
				await ctx.call("notifications.create", { userId, schoolId: message.schoolId, type: channel, title: notice.title, body: notice.body, data, sourceId: message.id });
			}
			const attachment = notice.attach ? await ctx.call("invoices.document", notice.attach) : null;
			for (const to of contacts.emails) {
				await ctx.call("mailer.send", {
					to,
					subject: notice.title,
					text: notice.body,
					tag: channel.replace(/\./g, "-"),
					...(attachment ? { attachments: [attachment as { filename: string; contentType: string; content: string }].map(a => ({ filename: a.filename, contentType: a.contentType, content: a.content, encoding: "base64" })) } : {}),
				});
			}
		},
	},
};

export default BillingNoticesService;

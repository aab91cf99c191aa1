/**
 * Mail for notifications, per kind, in French and English (the reader's locale), with a plain-text part,
 * the school's name and the category's unsubscribe link. The wording is built here from the notification's
 * data; mustache lays it out, escaping every value in the HTML part (no template ever sees raw HTML from a
 * user). Pure: the delivery service passes the reader's locale, time zone and links.
 */
import Mustache from "mustache";
import type { Category } from "./notification-prefs.js";
import { formatWhen, formatTime } from "./time-rules.js";

export type Locale = "fr" | "en";

export interface MailContext {
	locale: Locale;
	timezone: string;
	schoolName: string;
	firstName: string;
	publicUrl: string;
	category: Category;
	/** One-click unsubscribe link of the category (signed token). */
	unsubscribeUrl: string;
}

export interface NotificationContent {
	type: string;
	title: string;
	body?: string;
	data?: Record<string, any>;
}

export interface RenderedMail {
	subject: string;
	text: string;
	html: string;
}

interface Parts {
	subject: string;
	heading: string;
	lines: string[];
	action?: { label: string; path: string };
}

export function localeOf(raw: string | null | undefined): Locale {
	return typeof raw === "string" && raw.toLowerCase().startsWith("en") ? "en" : "fr";
}

const CATEGORY_LABELS: Record<Locale, Record<Category, string>> = {
	fr: { chat: "messages", rendezvous: "rendez-vous et visios", reminders: "rappels", learning: "apprentissage", safeguarding: "signalements", other: "autres notifications" },
	en: { chat: "messages", rendezvous: "rendez-vous and video calls", reminders: "reminders", learning: "learning", safeguarding: "reports", other: "other notifications" },
};

const when = (ctx: MailContext, iso: unknown) => (typeof iso === "string" || iso instanceof Date ? formatWhen(new Date(iso as string), ctx.timezone, ctx.locale) : "");
const slotLine = (ctx: MailContext, slot: { start: string; end: string }) => `${when(ctx, slot.start)} – ${formatTime(new Date(slot.end), ctx.timezone, ctx.locale)}`;
const str = (v: unknown) => (typeof v === "string" ? v : "");

type Builder = (ctx: MailContext, n: NotificationContent, d: Record<string, any>) => Parts;

const RDV = (d: Record<string, any>) => (typeof d.rendezvousId === "string" ? `/rendezvous/${d.rendezvousId}` : undefined);
const VISIO = (d: Record<string, any>) => (typeof d.visioId === "string" ? `/visios/${d.visioId}` : undefined);
const act = (label: string, path: string | undefined) => (path ? { label, path } : undefined);

const KINDS: Record<string, Record<Locale, Builder>> = {
	"rendezvous.proposed": {
		fr: (c, _n, d) => ({
			subject: `${str(d.otherName)} propose un rendez-vous`,
			heading: `${str(d.otherName)} vous propose un rendez-vous en visio`,
			lines: [...(d.topic ? [`Sujet : ${d.topic}`] : []), "Créneaux proposés :", ...(d.slots ?? []).map((s: any) => `• ${slotLine(c, s)}`), ...(d.message ? [`« ${d.message} »`] : [])],
			action: act("Répondre", RDV(d)),
		}),
		en: (c, _n, d) => ({
			subject: `${str(d.otherName)} proposes a rendez-vous`,
			heading: `${str(d.otherName)} proposes a video rendez-vous`,
			lines: [...(d.topic ? [`Topic: ${d.topic}`] : []), "Proposed slots:", ...(d.slots ?? []).map((s: any) => `• ${slotLine(c, s)}`), ...(d.message ? [`"${d.message}"`] : [])],
			action: act("Answer", RDV(d)),
		}),
	},
	"rendezvous.accepted": {
		fr: (c, _n, d) => ({ subject: `Rendez-vous confirmé avec ${str(d.otherName)}`, heading: "Votre rendez-vous est confirmé", lines: [`${when(c, d.start)}, avec ${str(d.otherName)}.`, "Le lien de la visio s'ouvre quelques minutes avant le début."], action: act("Voir le rendez-vous", RDV(d)) }),
		en: (c, _n, d) => ({ subject: `Rendez-vous confirmed with ${str(d.otherName)}`, heading: "Your rendez-vous is confirmed", lines: [`${when(c, d.start)}, with ${str(d.otherName)}.`, "The video call opens a few minutes before the start."], action: act("See the rendez-vous", RDV(d)) }),
	},
	"rendezvous.declined": {
		fr: (_c, _n, d) => ({ subject: `${str(d.otherName)} a décliné le rendez-vous`, heading: `${str(d.otherName)} a décliné votre proposition`, lines: d.reason ? [`« ${d.reason} »`] : [], action: act("Voir", RDV(d)) }),
		en: (_c, _n, d) => ({ subject: `${str(d.otherName)} declined the rendez-vous`, heading: `${str(d.otherName)} declined your proposal`, lines: d.reason ? [`"${d.reason}"`] : [], action: act("See", RDV(d)) }),
	},
	"rendezvous.cancelled": {
		fr: (c, _n, d) => ({ subject: `Rendez-vous annulé par ${str(d.otherName)}`, heading: "Rendez-vous annulé", lines: [`${str(d.otherName)} a annulé le rendez-vous${d.start ? ` du ${when(c, d.start)}` : ""}.`, ...(d.reason ? [`« ${d.reason} »`] : [])] }),
		en: (c, _n, d) => ({ subject: `Rendez-vous cancelled by ${str(d.otherName)}`, heading: "Rendez-vous cancelled", lines: [`${str(d.otherName)} cancelled the rendez-vous${d.start ? ` of ${when(c, d.start)}` : ""}.`, ...(d.reason ? [`"${d.reason}"`] : [])] }),
	},
	"rendezvous.rescheduled": {
		fr: (c, _n, d) => ({ subject: "Rendez-vous déplacé", heading: "Votre rendez-vous a été déplacé", lines: [`Nouvel horaire : ${when(c, d.start)}, avec ${str(d.otherName)}.`], action: act("Voir le rendez-vous", RDV(d)) }),
		en: (c, _n, d) => ({ subject: "Rendez-vous moved", heading: "Your rendez-vous was moved", lines: [`New time: ${when(c, d.start)}, with ${str(d.otherName)}.`], action: act("See the rendez-vous", RDV(d)) }),
	},
	"visio.invited": {
		fr: (c, _n, d) => ({ subject: `Invitation : ${str(d.title)}`, heading: `${str(d.hostName)} vous invite à une visio`, lines: [`« ${str(d.title)} »`, when(c, d.start)], action: act("Voir la visio", VISIO(d)) }),
		en: (c, _n, d) => ({ subject: `Invitation: ${str(d.title)}`, heading: `${str(d.hostName)} invites you to a video call`, lines: [`"${str(d.title)}"`, when(c, d.start)], action: act("See the call", VISIO(d)) }),
	},
	"visio.rescheduled": {
		fr: (c, _n, d) => ({ subject: `Visio déplacée : ${str(d.title)}`, heading: "Une visio a été déplacée", lines: [`« ${str(d.title)} »`, `Nouvel horaire : ${when(c, d.start)}`], action: act("Voir la visio", VISIO(d)) }),
		en: (c, _n, d) => ({ subject: `Video call moved: ${str(d.title)}`, heading: "A video call was moved", lines: [`"${str(d.title)}"`, `New time: ${when(c, d.start)}`], action: act("See the call", VISIO(d)) }),
	},
	"visio.cancelled": {
		fr: (c, _n, d) => ({ subject: `Visio annulée : ${str(d.title)}`, heading: "Une visio a été annulée", lines: [`« ${str(d.title)} », ${when(c, d.start)}`] }),
		en: (c, _n, d) => ({ subject: `Video call cancelled: ${str(d.title)}`, heading: "A video call was cancelled", lines: [`"${str(d.title)}", ${when(c, d.start)}`] }),
	},
	"reminder.visio": {
		fr: (c, _n, d) => {
			const m = Number(d.minutesUntil);
			const soon = m > 0 ? `commence dans ${humanFr(m)}` : "a commencé";
			return { subject: `Rappel : « ${str(d.title)} » ${soon}`, heading: `Votre visio ${soon}`, lines: [`« ${str(d.title)} »`, when(c, d.start)], action: act("Rejoindre", VISIO(d)) };
		},
		en: (c, _n, d) => {
			const m = Number(d.minutesUntil);
			const soon = m > 0 ? `starts in ${humanEn(m)}` : "has started";
			return { subject: `Reminder: "${str(d.title)}" ${soon}`, heading: `Your video call ${soon}`, lines: [`"${str(d.title)}"`, when(c, d.start)], action: act("Join", VISIO(d)) };
		},
	},
	"chat.message": {
		fr: (_c, n, d) => ({ subject: `Nouveau message${d.senderName ? ` de ${d.senderName}` : ""}`, heading: `Nouveau message${d.senderName ? ` de ${d.senderName}` : ""}`, lines: n.body ? [n.body] : [], action: d.conversationId ? { label: "Répondre", path: `/conversations/${d.conversationId}` } : undefined }),
		en: (_c, n, d) => ({ subject: `New message${d.senderName ? ` from ${d.senderName}` : ""}`, heading: `New message${d.senderName ? ` from ${d.senderName}` : ""}`, lines: n.body ? [n.body] : [], action: d.conversationId ? { label: "Reply", path: `/conversations/${d.conversationId}` } : undefined }),
	},
	"chat.report": {
		fr: () => ({ subject: "Un message a été signalé", heading: "Un message a été signalé", lines: ["Un message de la messagerie a été signalé et attend votre examen."], action: { label: "Voir les signalements", path: "/reports" } }),
		en: () => ({ subject: "A message was reported", heading: "A message was reported", lines: ["A chat message was reported and awaits your review."], action: { label: "See the reports", path: "/reports" } }),
	},
};

function humanFr(m: number): string {
	if (m >= 1440 && m % 1440 === 0) return m === 1440 ? "24 heures" : `${m / 1440} jours`;
	if (m >= 120) return `${Math.round(m / 60)} heures`;
	return `${m} minute${m > 1 ? "s" : ""}`;
}
function humanEn(m: number): string {
	if (m >= 1440 && m % 1440 === 0) return m === 1440 ? "24 hours" : `${m / 1440} days`;
	if (m >= 120) return `${Math.round(m / 60)} hours`;
	return `${m} minute${m > 1 ? "s" : ""}`;
}

const GENERIC: Record<Locale, Builder> = {
	fr: (_c, n) => ({ subject: n.title, heading: n.title, lines: n.body ? [n.body] : [] }),
	en: (_c, n) => ({ subject: n.title, heading: n.title, lines: n.body ? [n.body] : [] }),
};

const FOOTER: Record<Locale, (ctx: MailContext) => { reason: string; unsubscribe: string }> = {
	fr: ctx => ({ reason: `Vous recevez ce message de ${ctx.schoolName} car les e-mails « ${CATEGORY_LABELS.fr[ctx.category]} » sont activés.`, unsubscribe: "Ne plus recevoir ces e-mails" }),
	en: ctx => ({ reason: `You receive this from ${ctx.schoolName} because "${CATEGORY_LABELS.en[ctx.category]}" emails are on.`, unsubscribe: "Stop these emails" }),
};

const HTML_LAYOUT = `<!doctype html>
<html lang="{{locale}}"><head><meta charset="utf-8"><title>{{subject}}</title></head>
<body style="font-family:Arial,Helvetica,sans-serif;color:#1f2933;background:#f5f7fa;margin:0;padding:24px">
<table role="presentation" width="100%" style="max-width:560px;margin:auto;background:#ffffff;border-radius:8px;padding:24px">
<tr><td style="font-size:13px;color:#52606d">{{schoolName}}</td></tr>
<tr><td><h1 style="font-size:20px">{{heading}}</h1>
<p>{{greeting}}</p>
{{#lines}}<p>{{.}}</p>
{{/lines}}
{{#items}}<p><strong>{{heading}}</strong><br>{{#lines}}{{.}}<br>{{/lines}}</p>
{{/items}}
{{#action}}<p><a href="{{url}}" style="display:inline-block;background:#2f80ed;color:#ffffff;padding:10px 16px;border-radius:4px;text-decoration:none">{{label}}</a></p>{{/action}}
</td></tr>
<tr><td style="font-size:12px;color:#7b8794;border-top:1px solid #e4e7eb;padding-top:12px">{{footer.reason}}<br><a href="{{footer.url}}">{{footer.unsubscribe}}</a></td></tr>
</table></body></html>`;

const TEXT_LAYOUT = `{{schoolName}}

{{heading}}

{{greeting}}

{{#lines}}{{.}}
{{/lines}}{{#items}}
{{heading}}
{{#lines}}{{.}}
{{/lines}}{{/items}}{{#action}}
{{label}}: {{url}}
{{/action}}
--
{{footer.reason}}
{{footer.unsubscribe}}: {{footer.url}}
`;

/** Header-safe: one line, no control characters. */
const oneLine = (s: string) => s.replace(/[\r\n\t\u0000-\u001f\u007f]+/g, " ").trim().slice(0, 250);

function layout(ctx: MailContext, parts: Parts, items: Parts[] = []): RenderedMail {
	const greeting = ctx.locale === "fr" ? `Bonjour ${ctx.firstName},` : `Hello ${ctx.firstName},`;
	const footer = { ...FOOTER[ctx.locale](ctx), url: ctx.unsubscribeUrl };
	const view = {
		locale: ctx.locale,
		subject: oneLine(parts.subject),
		schoolName: ctx.schoolName,
		heading: parts.heading,
		greeting,
		lines: parts.lines,
		items: items.map(i => ({ heading: i.heading, lines: i.lines })),
		action: parts.action ? { label: parts.action.label, url: new URL(parts.action.path, ctx.publicUrl).toString() } : null,
		footer,
	};
	return {
		subject: oneLine(`[${ctx.schoolName}] ${parts.subject}`),
		html: Mustache.render(HTML_LAYOUT, view),
		// The plain-text part is not HTML: no entity escaping there.
		text: Mustache.render(TEXT_LAYOUT, view, {}, { escape: (v: unknown) => String(v) }),
	};
}

function partsOf(ctx: MailContext, n: NotificationContent): Parts {
	const builder = KINDS[n.type]?.[ctx.locale] ?? GENERIC[ctx.locale];
	return builder(ctx, n, n.data ?? {});
}

export function renderNotificationMail(ctx: MailContext, n: NotificationContent): RenderedMail {
	return layout(ctx, partsOf(ctx, n));
}

/** The daily digest: every queued notification of the day in one mail. */
export function renderDigestMail(ctx: MailContext, notifications: NotificationContent[]): RenderedMail {
	const count = notifications.length;
	const parts: Parts =
		ctx.locale === "fr"
			? { subject: `Votre résumé du jour (${count})`, heading: "Votre résumé du jour", lines: [`${count} notification${count > 1 ? "s" : ""} depuis le dernier résumé :`] }
			: { subject: `Your daily digest (${count})`, heading: "Your daily digest", lines: [`${count} notification${count > 1 ? "s" : ""} since the last digest:`] };
	return layout(ctx, parts, notifications.map(n => partsOf(ctx, n)));
}

export const KNOWN_MAIL_KINDS = Object.keys(KINDS);

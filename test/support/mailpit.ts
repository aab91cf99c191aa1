/**
 * Mail as the tests read it: delivered over SMTP to Mailpit (MAILPIT_SMTP_URL) and read back through its
 * API (MAILPIT_API_URL). Mailpit is one mailbox shared by every test run on the machine, so mail is always
 * found by its (unique) recipient address and never deleted in bulk.
 */
import { requireEnv } from "./platform.js";

export interface Mail {
	id: string;
	to: string;
	subject: string;
	text: string;
	html: string;
	tag?: string;
	sentAt: string;
	/** The List-Unsubscribe header's URL, if any. */
	listUnsubscribe?: string;
	headers: Record<string, string[]>;
}

interface Summary {
	ID: string;
	To: { Address: string }[];
	Subject: string;
	Created: string;
}

const api = () => requireEnv("MAILPIT_API_URL");

async function json(path: string): Promise<any> {
	const res = await fetch(`${api()}${path}`);
	if (!res.ok) throw new Error(`Mailpit GET ${path}: ${res.status} ${await res.text()}`);
	return res.json();
}

/** Every mail to `to` (exact address, any case), newest first, with its text, HTML and headers. */
export async function mailsTo(to: string, tag?: string): Promise<Mail[]> {
	const found = await json(`/api/v1/search?limit=200&query=${encodeURIComponent(`to:"${to}"`)}`);
	const summaries: Summary[] = (found.messages ?? []).filter((m: Summary) => m.To?.some(r => r.Address.toLowerCase() === to.toLowerCase()));
	const mails: Mail[] = [];
	for (const summary of summaries) {
		const headers: Record<string, string[]> = await json(`/api/v1/message/${summary.ID}/headers`);
		const mailTag = headers["X-Mail-Tag"]?.[0];
		if (tag !== undefined && mailTag !== tag) continue;
		const full = await json(`/api/v1/message/${summary.ID}`);
		const unsubscribe = /<([^>]+)>/.exec(headers["List-Unsubscribe"]?.[0] ?? "")?.[1];
		mails.push({
			id: summary.ID,
			to,
			subject: full.Subject,
			text: full.Text ?? "",
			html: full.HTML ?? "",
			tag: mailTag,
			sentAt: summary.Created,
			listUnsubscribe: unsubscribe,
			headers,
		});
	}
	return mails.sort((a, b) => b.sentAt.localeCompare(a.sentAt));
}

/** The newest mail to an address (with a tag), waiting briefly since some mail leaves after the response. */
export async function latestMail(to: string, tag?: string, timeoutMs = 5000): Promise<Mail> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const mails = await mailsTo(to, tag);
		if (mails.length > 0) return mails[0];
		if (Date.now() > deadline) throw new Error(`no mail to ${to}${tag ? ` tagged ${tag}` : ""} in Mailpit`);
		await new Promise(r => setTimeout(r, 50));
	}
}

/** Waits until `count` mails (tagged `tag`) reached `to`, then returns them newest first. */
export async function waitForMails(to: string, count: number, tag?: string, timeoutMs = 8000): Promise<Mail[]> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const mails = await mailsTo(to, tag);
		if (mails.length >= count) return mails;
		if (Date.now() > deadline) throw new Error(`${mails.length} of ${count} mails to ${to}${tag ? ` tagged ${tag}` : ""} in Mailpit`);
		await new Promise(r => setTimeout(r, 50));
	}
}

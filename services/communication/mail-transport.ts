/**
 * Where mail goes: the SMTP server of SMTP_URL (Mailpit in development and tests, a real relay in
 * production). Without one, nodemailer's JSON transport builds the message and nothing is sent.
 * With DEV_MAIL_OUTBOX on (never in production), a copy of each sent mail is also kept in an in-memory
 * outbox that platform admins can read at GET /api/dev/mails.
 */
import { randomUUID } from "node:crypto";
import nodemailer, { type Transporter } from "nodemailer";
import { Outbox } from "./outbox.js";

export interface OutgoingMail {
	to: string;
	subject: string;
	text: string;
	html?: string;
	tag?: string;
	/** One-click unsubscribe link (RFC 8058): sets List-Unsubscribe and List-Unsubscribe-Post. */
	unsubscribeUrl?: string;
	/** Files sent with the mail (invoices as PDF). */
	attachments?: MailAttachment[];
}

/** nodemailer's own attachment shape, the content in base64 (it travels as JSON between nodes). */
export interface MailAttachment {
	filename: string;
	contentType: string;
	content: string;
	encoding: "base64";
}

export interface MailTransport {
	/** The outbox, only while DEV_MAIL_OUTBOX is on. */
	readonly outbox?: Outbox;
	/** Whether mail actually leaves (an SMTP server is configured). */
	readonly delivers: boolean;
	send(mail: OutgoingMail): Promise<{ id: string }>;
	close(): void;
}

export interface MailTransportOptions {
	smtpUrl?: string;
	from: string;
	/**
	 * Keep a copy in memory (DEV_MAIL_OUTBOX; refused in production by config/env.ts: it would hold personal
	 * data). Asked at each send, so switching it off drops the copies at once.
	 */
	keepOutbox: boolean | (() => boolean);
	outboxCapacity?: number;
}

export function createMailTransport(options: MailTransportOptions): MailTransport {
	const transporter: Transporter = options.smtpUrl
		? nodemailer.createTransport(options.smtpUrl)
		: nodemailer.createTransport({ jsonTransport: true });
	const keep = typeof options.keepOutbox === "function" ? options.keepOutbox : () => options.keepOutbox as boolean;
	let kept: Outbox | undefined;
	const outbox = () => {
		if (!keep()) return (kept = undefined);
		return (kept ??= new Outbox(options.outboxCapacity));
	};
	return {
		get outbox() {
			return outbox();
		},
		delivers: !!options.smtpUrl,
		async send(mail) {
			const id = randomUUID();
			const { to, subject, text, html, tag, unsubscribeUrl, attachments } = mail;
			const headers: Record<string, string> = {
				// Lets a message found in a mailbox be traced back to our logs.
				"X-Mail-Id": id,
				...(tag ? { "X-Mail-Tag": tag } : {}),
				...(unsubscribeUrl ? { "List-Unsubscribe": `<${unsubscribeUrl}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" } : {}),
			};
			await transporter.sendMail({ from: options.from, to, subject, text, html, attachments, headers });
			// The outbox keeps what was attached, not the bytes.
			const attached = attachments?.map(a => ({ filename: a.filename, contentType: a.contentType, size: Buffer.from(a.content, "base64").length }));
			outbox()?.add({ id, to, subject, text, html, tag, ...(attached ? { attachments: attached } : {}), sentAt: new Date().toISOString() });
			return { id };
		},
		close() {
			transporter.close();
		},
	};
}

/**
 * Where mail goes: an SMTP server when SMTP_URL is set; otherwise nodemailer's JSON transport, which
 * builds the message without sending it, and the mail is kept in an in-memory outbox instead.
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
	attachments?: MailAttachment[];
}

/** nodemailer's own attachment shape, the content in base64. */
export interface MailAttachment {
	filename: string;
	contentType: string;
	content: string;
	encoding: "base64";
}

export interface MailTransport {
	/** The outbox, only when mail is kept in memory. */
	readonly outbox?: Outbox;
	send(mail: OutgoingMail): Promise<{ id: string }>;
	close(): void;
}

export interface MailTransportOptions {
	smtpUrl?: string;
	from: string;
	/** Keep mail in memory when there is no SMTP server (never in production: it would hold personal data). */
	keepOutbox: boolean;
	outboxCapacity?: number;
}

export function createMailTransport(options: MailTransportOptions): MailTransport {
	const transporter: Transporter = options.smtpUrl
		? nodemailer.createTransport(options.smtpUrl)
		: nodemailer.createTransport({ jsonTransport: true });
	const outbox = !options.smtpUrl && options.keepOutbox ? new Outbox(options.outboxCapacity) : undefined;
	return {
		outbox,
		async send(mail) {
			const id = randomUUID();
			await transporter.sendMail({
				from: options.from,
				to: mail.to,
				subject: mail.subject,
				text: mail.text,
				html: mail.html,
				attachments: mail.attachments,
				// Lets a message found in a mailbox be traced back to our logs.
				headers: { "X-Mail-Id": id, ...(mail.tag ? { "X-Mail-Tag": mail.tag } : {}) },
			});
			const { attachments, ...rest } = mail;
			// The outbox keeps what was attached, not the bytes.
			outbox?.add({ id, ...rest, ...(attachments ? { attachments: attachments.map(a => ({ filename: a.filename, contentType: a.contentType, size: Buffer.from(a.content, "base64").length })) } : {}), sentAt: new Date().toISOString() });
			return { id };
		},
		close() {
			transporter.close();
		},
	};
}

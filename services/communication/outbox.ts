/**
 * The mail kept in memory when no SMTP server is configured (development, tests), so a developer or a
 * test can read what would have been sent. Capped: a long-running dev server must not grow forever.
 */
import type { Page } from "../shared/db.mixin.js";

export interface OutboxMail {
	id: string;
	to: string;
	subject: string;
	text: string;
	html?: string;
	tag?: string;
	attachments?: { filename: string; contentType: string; size: number }[];
	sentAt: string;
}

export interface OutboxQuery {
	to?: string;
	tag?: string;
	page?: number;
	pageSize?: number;
}

export const DEFAULT_OUTBOX_CAPACITY = 1000;

export class Outbox {
	/** Oldest first; reads reverse it. */
	private readonly mails: OutboxMail[] = [];

	constructor(private readonly capacity = DEFAULT_OUTBOX_CAPACITY) {
		if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("Outbox capacity must be a positive integer");
	}

	get size(): number {
		return this.mails.length;
	}

	add(mail: OutboxMail): void {
		this.mails.push(mail);
		if (this.mails.length > this.capacity) this.mails.splice(0, this.mails.length - this.capacity);
	}

	/** Newest first; `to` matches the whole address, ignoring case, as mail servers do. */
	list(query: OutboxQuery = {}): Page<Omit<OutboxMail, "html">> {
		const to = query.to?.toLowerCase();
		const matching: OutboxMail[] = [];
		for (let i = this.mails.length - 1; i >= 0; i--) {
			const mail = this.mails[i];
			if (to !== undefined && mail.to.toLowerCase() !== to) continue;
			if (query.tag !== undefined && mail.tag !== query.tag) continue;
			matching.push(mail);
		}
		const pageSize = Math.min(query.pageSize ?? 20, 100);
		const page = query.page ?? 1;
		const rows = matching
			.slice((page - 1) * pageSize, page * pageSize)
			.map(({ id, to, subject, text, tag, attachments, sentAt }) => ({ id, to, subject, text, tag, ...(attachments ? { attachments } : {}), sentAt }));
		return { rows, total: matching.length, page, pageSize, totalPages: Math.ceil(matching.length / pageSize) };
	}

	clear(): void {
		this.mails.length = 0;
	}
}

/**
 * Outgoing mail. Other services call `mailer.send`; it goes to the SMTP server of SMTP_URL (Mailpit in
 * development and tests). GET /api/dev/mails lists a copy kept in memory only when DEV_MAIL_OUTBOX is on
 * (never in production), and only to platform admins (with several nodes: the node running the mailer).
 */
import { settings } from "../../config/env.js";
import { PAGE_PARAMS } from "../shared/db.mixin.js";
import { ClientError, ERR } from "../shared/errors.js";
import type { Ctx } from "../shared/identity.js";
import type { ServiceDef } from "../shared/service.js";
import { createMailTransport, type MailTransport, type OutgoingMail } from "./mail-transport.js";
import type { OutboxQuery } from "./outbox.js";

const TAG = { type: "string", max: 50, pattern: /^[a-z0-9][a-z0-9._-]*$/i } as const;

const MailerService: ServiceDef = {
	name: "mailer",
	settings: { rest: "/" },

	actions: {
		send: {
			params: {
				$$strict: "remove",
				to: { type: "email", max: 254 },
				subject: { type: "string", min: 1, max: 300 },
				text: { type: "string", min: 1, max: 100_000 },
				html: { type: "string", max: 500_000, optional: true },
				tag: { ...TAG, optional: true },
				unsubscribeUrl: { type: "url", max: 2000, optional: true },
				// Files sent with the mail (invoices as PDF), in nodemailer's shape, base64 so they travel as JSON between nodes.
				attachments: {
					type: "array",
					optional: true,
					max: 5,
					items: {
						type: "object",
						strict: true,
						props: {
							filename: { type: "string", min: 1, max: 200 },
							contentType: { type: "string", min: 3, max: 100 },
							content: { type: "string", min: 1, max: 7_000_000 },
							encoding: { type: "equal", value: "base64" },
						},
					},
				},
			},
			async handler(this: any, ctx: Ctx<OutgoingMail>) {
				const sent = await (this.transport as MailTransport).send(ctx.params);
				this.logger.debug("Mail sent", { id: sent.id, tag: ctx.params.tag });
				return sent;
			},
		},

		outbox: {
			rest: "GET /dev/mails",
			params: {
				$$strict: "remove",
				to: { type: "string", max: 254, optional: true },
				tag: { ...TAG, optional: true },
				...PAGE_PARAMS,
			},
			handler(this: any, ctx: Ctx<OutboxQuery>) {
				const outbox = (this.transport as MailTransport).outbox;
				// Off (the default, and always in production): looks exactly like a route that does not exist.
				if (!outbox) throw new ClientError("No such route", 404, ERR.ROUTE_NOT_FOUND);
				return outbox.list(ctx.params);
			},
		},
	},

	created(this: any) {
		const cfg = settings();
		this.transport = createMailTransport({
			smtpUrl: cfg.smtpUrl,
			from: cfg.mailFrom,
			keepOutbox: () => settings().devMailOutbox && settings().nodeEnv !== "production",
		});
		if (!cfg.smtpUrl) this.logger.warn("SMTP_URL is not set: mail is built but not sent (development: run Mailpit, see README)");
	},

	stopped(this: any) {
		(this.transport as MailTransport).close();
	},
};

export default MailerService;

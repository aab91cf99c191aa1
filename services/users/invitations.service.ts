/**
 * Invitations: a school admin invites a teacher, student or fellow admin by email; the invitee redeems
 * the mailed single-use token to create their account. A teacher's or student's invitation holds a
 * seat from the moment it is sent, so pending invitations cannot oversubscribe the plan.
 */
import { settings } from "../../config/env.js";
import { INVITATION_ROLES, INVITATION_STATUSES, Invitation, type InvitationRole, type InvitationStatus } from "../../models/invitation.model.js";
import { recordAudit } from "../shared/audit-trail.js";
import { dbMixin, PAGE_PARAMS, type PageParams } from "../shared/db.mixin.js";
import { conflict, ERR, invalid, isDuplicateKey } from "../shared/errors.js";
import { callerSchoolId, currentUser, systemMeta, type Ctx } from "../shared/identity.js";
import type { ServiceDef } from "../shared/service.js";
import { EMAIL_RULE, normalizeEmail } from "./account-keys.js";
import { closedSlot, invitationLink, invitationMail, pendingSlot, redeemRefusal, seatsFor } from "./invitation-rules.js";
import { expiresIn, hashToken, newOpaqueToken, TOKEN_RULE } from "./opaque-token.js";
import { openRateLimits } from "./rate-limits.js";
import { takeMailRequest } from "./request-throttle.js";
import { ID } from "../shared/params.js";
import { textRule } from "../shared/text-rules.js";
import { invitationsPersonalData } from "./personal-data.js";

const NAME = textRule({ max: 100 });
const PURGE_EVERY_MS = 10 * 60 * 1000;
const PURGE_BATCH = 500;

interface CreateParams {
	email: string;
	role: InvitationRole;
	firstName?: string;
	lastName?: string;
	classIds?: string[];
}

interface AcceptParams {
	token: string;
	password: string;
	firstName?: string;
	lastName?: string;
}

const InvitationsService: ServiceDef = {
	name: "invitations",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [invitationsPersonalData, 
		dbMixin(Invitation, {
			fields: ["id", "schoolId", "email", "role", "firstName", "lastName", "classIds", "status", "expiresAt", "invitedBy", "acceptedAt", "userId", "createdAt", "updatedAt"],
		}),
	],

	actions: {
		create: {
			rest: "POST /invitations",
			params: {
				$$strict: "remove",
				email: EMAIL_RULE,
				role: { type: "enum", values: [...INVITATION_ROLES] },
				firstName: { ...NAME, optional: true },
				lastName: { ...NAME, optional: true },
				classIds: { type: "array", items: ID, max: 50, unique: true, optional: true },
			},
			async handler(this: any, ctx: Ctx<CreateParams>) {
				const schoolId = callerSchoolId(ctx);
				const email = normalizeEmail(ctx.params.email);
				const { role } = ctx.params;
				const classIds = ctx.params.classIds ?? [];
				if (role === "school_admin" && classIds.length > 0) throw invalid("classIds", "school admins are not class members");
				await this.assertClasses(ctx, classIds);
				// An invitation mails the address it names: throttled per client address and per email.
				await takeMailRequest(this.limits, "invite", ctx.meta.clientIp, email);

				const { available } = await ctx.call<{ available: boolean }, { email: string }>("users.emailAvailable", { email });
				if (!available) throw conflict("An account already uses this email", ERR.EMAIL_TAKEN);
				await this.expireStale({ slot: pendingSlot(schoolId, email), expiresAt: { $lte: new Date() } }, ctx);
				if (await this.model.exists({ slot: pendingSlot(schoolId, email) })) {
					throw conflict("A pending invitation already exists for this email");
				}

				const seats = seatsFor(role);
				if (seats > 0) await ctx.call("subscriptions.reserveSeats", { schoolId, count: seats });
				const token = newOpaqueToken();
				let invitation;
				try {
					invitation = await this.model.create({
						schoolId,
						email,
						role,
						firstName: ctx.params.firstName ?? null,
						lastName: ctx.params.lastName ?? null,
						classIds,
						seats,
						tokenHash: hashToken(token),
						slot: pendingSlot(schoolId, email),
						expiresAt: expiresIn(settings().invitationTtlHours * 3600 * 1000),
						invitedBy: currentUser(ctx).id,
					});
				} catch (err) {
					await this.giveBackSeats(ctx, schoolId, seats);
					if (isDuplicateKey(err)) throw conflict("A pending invitation already exists for this email");
					throw err;
				}

				try {
					await this.sendInvitation(ctx, invitation, token);
				} catch (err) {
					// Nobody can redeem an invitation whose token never left: withdraw it entirely.
					await this.model.deleteOne({ _id: invitation._id });
					await this.giveBackSeats(ctx, schoolId, seats);
					throw err;
				}
				await recordAudit(ctx, {
					action: "invitations.created",
					targetType: "invitation",
					targetId: String(invitation._id),
					data: { email, role },
				});
				ctx.meta.$statusCode = 201;
				return this.toJSON(ctx, invitation);
			},
		},

		list: {
			rest: "GET /invitations",
			params: { $$strict: "remove", status: { type: "enum", values: [...INVITATION_STATUSES], optional: true }, ...PAGE_PARAMS },
			handler(this: any, ctx: Ctx<PageParams & { status?: InvitationStatus }>) {
				const filter = ctx.params.status ? { status: ctx.params.status } : {};
				return this.pageScoped(ctx, filter, ctx.params);
			},
		},

		revoke: {
			rest: "DELETE /invitations/:id",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const { id } = ctx.params;
				await this.getScoped(ctx, id);
				// `status: "pending"` in the filter: of a revoke racing an accept or an expiry, one wins.
				const revoked = await this.model.findOneAndUpdate(
					this.tenantFilter(ctx, { _id: id, status: "pending" }),
					{ $set: { status: "revoked", slot: closedSlot() } },
					{ new: true },
				);
				if (!revoked) throw conflict(`The invitation is ${(await this.getScoped(ctx, id)).status}, not pending`);
				await this.giveBackSeats(ctx, String(revoked.schoolId), revoked.seats);
				await recordAudit(ctx, {
					action: "invitations.revoked",
					targetType: "invitation",
					targetId: id,
					data: { email: revoked.email, role: revoked.role },
				});
				return this.toJSON(ctx, revoked);
			},
		},

		accept: {
			rest: "POST /invitations/accept",
			params: {
				$$strict: "remove",
				token: TOKEN_RULE,
				password: { type: "string", min: 1, max: 200 },
				firstName: { ...NAME, optional: true },
				lastName: { ...NAME, optional: true },
			},
			async handler(this: any, ctx: Ctx<AcceptParams>) {
				const user = await this.redeem(ctx, hashToken(ctx.params.token));
				ctx.meta.$statusCode = 201;
				return { user };
			},
		},

		purgeExpired: {
			async handler(this: any, ctx: Ctx) {
				let expired = 0;
				for (;;) {
					const batch = await this.expireStale({ expiresAt: { $lte: new Date() } }, ctx);
					expired += batch.expired;
					if (batch.seen < PURGE_BATCH) break;
				}
				return { expired };
			},
		},
	},

	methods: {
		/**
		 * Marks the invitation accepted, makes the account, joins the classes; reopens it if the account fails.
		 * The switch from pending is one conditional update: of simultaneous requests exactly one redeems, the
		 * others then see it used.
		 */
		async redeem(this: any, ctx: Ctx<AcceptParams>, tokenHash: string) {
			const now = new Date();
			const invitation = await this.model.findOneAndUpdate(
				{ tokenHash, status: "pending", expiresAt: { $gt: now } },
				{ $set: { status: "accepted", acceptedAt: now, slot: closedSlot() } },
				{ new: true },
			);
			if (!invitation) throw redeemRefusal(await this.model.findOne({ tokenHash }, { status: 1, expiresAt: 1 }), now);

			const schoolId = String(invitation.schoolId);
			const firstName = ctx.params.firstName ?? invitation.firstName;
			const lastName = ctx.params.lastName ?? invitation.lastName;
			let user: any;
			try {
				if (!firstName) throw invalid("firstName", "is required");
				if (!lastName) throw invalid("lastName", "is required");
				// The invitee is anonymous: the account is made by the system principal, for this school.
				user = await this.asSystem(ctx, "users.createAccount", {
					schoolId,
					email: invitation.email,
					password: ctx.params.password,
					firstName,
					lastName,
					roles: [invitation.role],
					emailVerified: true,
				});
			} catch (err) {
				await this.reopen(ctx, invitation);
				throw err;
			}
			await this.model.updateOne({ _id: invitation._id }, { $set: { userId: String(user.id) } });
			await this.joinClasses(ctx, invitation, String(user.id));
			await recordAudit(ctx, {
				schoolId,
				actorId: String(user.id),
				action: "invitations.accepted",
				targetType: "invitation",
				targetId: String(invitation._id),
				data: { role: invitation.role },
			});
			return user;
		},

		/** Class ids must name classes of the caller's school (422 otherwise). */
		async assertClasses(this: any, ctx: Ctx<any>, classIds: string[]) {
			const missing: string[] = [];
			await Promise.all(
				classIds.map(id =>
					ctx.call("classes.get", { id }).catch((err: any) => {
						if (err?.code !== 404) throw err;
						missing.push(id);
					}),
				),
			);
			if (missing.length > 0) throw invalid("classIds", `no such classes in this school: ${missing.join(", ")}`);
		},

		async sendInvitation(this: any, ctx: Ctx<any>, invitation: any, token: string) {
			let schoolName: string | undefined;
			try {
				schoolName = (await ctx.call<{ name: string }, { id: string }>("schools.resolve", { id: String(invitation.schoolId) })).name;
			} catch {
				// The school's name only makes the mail friendlier.
			}
			const mail = invitationMail({
				schoolName,
				role: invitation.role,
				link: invitationLink(settings().publicUrl, token),
				expiresAt: invitation.expiresAt,
			});
			await ctx.call("mailer.send", { to: invitation.email, ...mail, tag: "invitation" });
		},

		/**
		 * Marks pending invitations matching `filter` as expired (a batch) and gives back their seats.
		 * Each one is switched by its own conditional update, so a concurrent accept or revoke wins cleanly.
		 */
		async expireStale(this: any, filter: Record<string, unknown>, ctx: Ctx<any>) {
			const stale = await this.model.find({ ...filter, status: "pending" }, { _id: 1, schoolId: 1, seats: 1 }).limit(PURGE_BATCH);
			let expired = 0;
			for (const doc of stale) {
				const done = await this.model.findOneAndUpdate({ _id: doc._id, status: "pending" }, { $set: { status: "expired", slot: closedSlot() } });
				if (!done) continue;
				expired++;
				await this.giveBackSeats(ctx, String(doc.schoolId), doc.seats);
			}
			return { seen: stale.length, expired };
		},

		/** Compensation when the account could not be made: the invitation becomes redeemable again. */
		async reopen(this: any, ctx: Ctx<any>, invitation: any) {
			const schoolId = String(invitation.schoolId);
			try {
				await this.model.updateOne(
					{ _id: invitation._id, status: "accepted", userId: null },
					{ $set: { status: "pending", acceptedAt: null, slot: pendingSlot(schoolId, invitation.email) } },
				);
			} catch (err) {
				if (!isDuplicateKey(err)) throw err;
				// A new invitation for this email was sent meanwhile: this one steps aside.
				await this.model.updateOne({ _id: invitation._id }, { $set: { status: "revoked" } });
				await this.giveBackSeats(ctx, schoolId, invitation.seats);
			}
		},

		async joinClasses(this: any, ctx: Ctx<any>, invitation: any, userId: string) {
			if (invitation.classIds.length === 0 || invitation.role === "school_admin") return;
			try {
				await this.asSystem(ctx, "classes.addMember", {
					schoolId: String(invitation.schoolId),
					userId,
					role: invitation.role,
					classIds: invitation.classIds.map(String),
				});
			} catch (err) {
				// The account exists; a class to join is an extra an admin can redo, not a reason to fail.
				this.logger.error("Could not add an invited user to their classes", { invitationId: String(invitation._id) }, err);
			}
		},

		/** Seats back to the pool; a failure here must not hide the error being compensated. */
		async giveBackSeats(this: any, ctx: Ctx<any>, schoolId: string, count: number) {
			if (!count) return;
			try {
				await ctx.call("subscriptions.releaseSeats", { schoolId, count });
			} catch (err) {
				this.logger.error("Could not release seats", { schoolId, count }, err);
			}
		},

		/** A call as the system principal that leaves the caller's own meta untouched. */
		asSystem(this: any, ctx: Ctx<any>, action: string, params: unknown) {
			return this.broker.call(action, params, { parentCtx: ctx, meta: systemMeta({ clientIp: ctx.meta.clientIp }) });
		},
	},

	async started(this: any) {
		this.limits = await openRateLimits((message, detail) => this.logger.warn(message, detail));
		this.purgeTimer = setInterval(() => {
			this.broker
				.call("invitations.purgeExpired", {}, { meta: systemMeta() })
				.catch((err: unknown) => this.logger.warn("Purging expired invitations failed", err));
		}, PURGE_EVERY_MS);
		this.purgeTimer.unref?.();
	},

	async stopped(this: any) {
		clearInterval(this.purgeTimer);
		await this.limits?.close();
	},
};

export default InvitationsService;

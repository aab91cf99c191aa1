/**
 * The rules of an invitation, apart from storage: its uniqueness slot, whether its role takes a seat,
 * and why a token cannot be redeemed.
 */
import { randomUUID } from "node:crypto";
import type { InvitationRole, InvitationStatus } from "../../models/invitation.model.js";
import { ERR, gone, notFound, type ClientError } from "../shared/errors.js";

/** School admins run the school; only teachers and students count against the plan's seats. */
export function seatsFor(role: InvitationRole): number {
	return role === "school_admin" ? 0 : 1;
}

export function pendingSlot(schoolId: string, email: string): string {
	return `${schoolId}:${email.toLowerCase()}`;
}

export function closedSlot(): string {
	return `closed:${randomUUID()}`;
}

export function invitationLink(publicUrl: string, token: string): string {
	return `${publicUrl.replace(/\/+$/, "")}/accept-invitation?token=${encodeURIComponent(token)}`;
}

/**
 * Why a token that did not redeem cannot: unknown → 404 (nothing to tell apart from a mistyped
 * link), accepted → 410 TOKEN_USED, expired or revoked → 410 TOKEN_EXPIRED.
 */
export function redeemRefusal(found: { status: InvitationStatus; expiresAt: Date } | null, now = new Date()): ClientError {
	if (!found) return notFound("Invitation");
	if (found.status === "accepted") return gone("This invitation has already been used", ERR.TOKEN_USED);
	if (found.status === "revoked") return gone("This invitation was withdrawn", ERR.TOKEN_EXPIRED);
	if (found.status === "expired" || found.expiresAt.getTime() <= now.getTime()) return gone("This invitation has expired", ERR.TOKEN_EXPIRED);
	// Pending and valid, yet not redeemed: another request redeemed it at the same moment.
	return gone("This invitation has already been used", ERR.TOKEN_USED);
}

export function invitationMail(opts: { schoolName?: string; role: InvitationRole; link: string; expiresAt: Date }) {
	const where = opts.schoolName ? ` at ${opts.schoolName}` : "";
	const role = opts.role.replace("_", " ");
	return {
		subject: `You are invited to join${where || " your school"}`,
		text:
			`You have been invited to join${where} as a ${role}.\n\n` +
			`Choose your password and activate your account here:\n${opts.link}\n\n` +
			`This link works once and expires on ${opts.expiresAt.toISOString()}.\n`,
	};
}

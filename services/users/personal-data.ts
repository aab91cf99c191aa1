/**
 * Block 1's part in data rights (services/shared/personal-data.ts, docs/DATA_RIGHTS.md): what each
 * service of the block holds about a person, and what an erasure does to it.
 */
import mongoose from "mongoose";
import { AuditEntry } from "../../models/audit-entry.model.js";
import { Class } from "../../models/class.model.js";
import { Invitation } from "../../models/invitation.model.js";
import { OneTimeToken } from "../../models/one-time-token.model.js";
import { RefreshToken } from "../../models/refresh-token.model.js";
import { School } from "../../models/school.model.js";
import { User } from "../../models/user.model.js";
import { settings } from "../../config/env.js";
import { idForms, personalDataMixin, type ErasureSubject } from "../shared/personal-data.js";

const oid = (id: string) => new mongoose.Types.ObjectId(id);

/** The account itself: kept as a tombstone (its id is referenced everywhere) with nothing personal left. */
export function erasedAccount(userId: string) {
	return {
		$set: {
			email: null,
			username: null,
			firstName: "Erased",
			lastName: "user",
			locale: null,
			loginKey: `erased:${userId}`,
			usernameKey: `erased:${userId}`,
			passwordHash: "!",
			status: "erased",
			emailVerified: false,
		},
		$unset: { studentProfile: 1, teacherProfile: 1, lastLoginAt: 1, suspendedAt: 1 },
	};
}

export const usersPersonalData = personalDataMixin("users", [
	{
		section: "profile",
		model: User,
		owner: ["_id"],
		omit: ["passwordHash", "loginKey", "usernameKey", "sessionVersion"],
		onUserErasure: { update: (s: ErasureSubject) => erasedAccount(s.userId) },
	},
]);

export const authPersonalData = personalDataMixin("auth", [
	{ section: "sessions", model: RefreshToken, owner: ["userId"], omit: ["tokenHash", "replacedByHash", "familyId"], onUserErasure: "delete" },
	{ section: "one_time_tokens", model: OneTimeToken, owner: ["userId"], noExport: true, onUserErasure: "delete" },
]);

export const schoolsPersonalData = personalDataMixin("schools", [], {
	// The school's own record goes with it; nothing of a person is in it.
	async eraseSchool(_ctx, schoolId) {
		return { schools: (await School.deleteOne({ _id: oid(schoolId) })).deletedCount ?? 0 };
	},
});

export const invitationsPersonalData = personalDataMixin(
	"invitations",
	[{ section: "invitations", model: Invitation, owner: ["userId"], omit: ["tokenHash", "slot"], onUserErasure: "delete" }],
	{
		// Invitations still pending for the person's address name them by email only.
		async eraseUser(_ctx, subject, identifiers) {
			const { email } = await identifiers();
			if (!email) return {} as Record<string, number>;
			const { deletedCount } = await Invitation.deleteMany({ schoolId: oid(subject.schoolId), email: email.toLowerCase() });
			return { invitations_by_email: deletedCount ?? 0 };
		},
	},
);

export const classesPersonalData = personalDataMixin("classes", [
	{
		section: "classes",
		model: Class,
		owner: ["teacherIds", "studentIds"],
		onUserErasure: { update: (s: ErasureSubject) => ({ $pull: { teacherIds: { $in: idForms(s.userId) }, studentIds: { $in: idForms(s.userId) } } }) },
	},
]);

const ERASED_DETAILS = { $set: { data: { erased: true } }, $unset: { ip: 1 } };

export const auditPersonalData = personalDataMixin(
	"audit",
	[
		{
			section: "audit",
			model: AuditEntry,
			owner: ["actorId", "targetId"],
			// The trail stays (who did what, when: security), without the details that may name the person.
			onUserErasure: { update: () => ERASED_DETAILS },
			retention: { days: () => settings().ops.auditRetentionDays, field: "createdAt" },
		},
	],
	{
		// Entries about something else that name the person in their details (an invitation to their address).
		async eraseUser(_ctx, subject, identifiers) {
			const who = await identifiers();
			const needles = [who.email, who.username].filter((n): n is string => !!n).map(n => n.toLowerCase());
			if (needles.length === 0) return {} as Record<string, number>;
			const naming: unknown[] = [];
			for await (const entry of AuditEntry.find({ schoolId: oid(subject.schoolId), data: { $ne: null } }, { data: 1 }).lean().cursor()) {
				const text = JSON.stringify((entry as any).data ?? {}).toLowerCase();
				if (needles.some(n => text.includes(n))) naming.push((entry as any)._id);
			}
			if (naming.length === 0) return { audit_mentions: 0 };
			const { modifiedCount } = await AuditEntry.updateMany({ _id: { $in: naming } }, ERASED_DETAILS);
			return { audit_mentions: modifiedCount ?? 0 };
		},
	},
);

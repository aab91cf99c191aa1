/**
 * Reporting's part in data rights (docs/DATA_RIGHTS.md). Its projections name people only by id (no names, no
 * emails, no words), but a person's own figures are still theirs:
 * - a user's erasure deletes their record, their mastery and progress, and their own daily counters (a student's
 *   `stu` buckets, a teacher's `tch` ones); in the sets that count distinct people (active users per day, a
 *   class's or path's members, a path's owner, a live session's teacher) their id becomes a pseudonym that names
 *   no one, so school, class and path figures stay what they were;
 * - a school's erasure deletes every projection of the school. Its invoices as reporting knew them are kept, like
 *   billing's own (legal retention; the platform's revenue history): they name no person. The school's line in
 *   the platform's register (name, dates) stays, to count it among the schools lost that month.
 * Reporting's documents keep `schoolId` as a string, so the erasures go through the hooks (`noSchoolField`).
 */
import type { Model } from "mongoose";
import { ReportingActivity } from "../../models/reporting-activity.model.js";
import { ReportingBatch } from "../../models/reporting-batch.model.js";
import { ReportingBucket } from "../../models/reporting-bucket.model.js";
import { ReportingClass } from "../../models/reporting-class.model.js";
import { ReportingGeneration } from "../../models/reporting-generation.model.js";
import { ReportingLiveSession } from "../../models/reporting-live-session.model.js";
import { ReportingMastery } from "../../models/reporting-mastery.model.js";
import { ReportingPath } from "../../models/reporting-path.model.js";
import { ReportingPerson } from "../../models/reporting-person.model.js";
import { ReportingProgress } from "../../models/reporting-progress.model.js";
import { personalDataMixin } from "../shared/personal-data.js";
import { forgetStates } from "./feed/context.js";
import { GENERATION_MODELS } from "./projection-models.js";

/** Fields holding one id or a list of ids of people, per model, where a pseudonym replaces an erased person. */
const PEOPLE_FIELDS: [Model<any>, string[]][] = [
	[ReportingActivity, ["st", "te", "ot"]],
	[ReportingClass, ["teacherIds", "studentIds"]],
	[ReportingPath, ["ownerId", "studentIds"]],
	[ReportingLiveSession, ["teacherId"]],
];

/** Replaces `userId` by `pseudonym` wherever one of `fields` holds it (each document read, then written whole). */
async function pseudonymise(model: Model<any>, fields: string[], schoolId: string, userId: string, pseudonym: string): Promise<number> {
	const docs = await model.find({ schoolId, $or: fields.map(f => ({ [f]: userId })) }, Object.fromEntries(fields.map(f => [f, 1]))).lean();
	for (const doc of docs as Record<string, unknown>[]) {
		const set: Record<string, unknown> = {};
		for (const f of fields) {
			const value = doc[f];
			if (Array.isArray(value)) set[f] = value.map(v => (v === userId ? pseudonym : v));
			else if (value === userId) set[f] = pseudonym;
		}
		await model.updateOne({ _id: doc._id }, { $set: set });
	}
	return docs.length;
}

export const reportingPersonalData = personalDataMixin(
	"reportingFeed",
	[
		{ section: "person", model: ReportingPerson, owner: ["userId"], onUserErasure: "delete", noSchoolField: true },
		{ section: "mastery", model: ReportingMastery, owner: ["studentId"], onUserErasure: "delete", noSchoolField: true },
		{ section: "progress", model: ReportingProgress, owner: ["studentId"], onUserErasure: "delete", noSchoolField: true },
		// Keyed by a class, path, item or person id: only a person's own buckets (`stu`, `tch`) carry their id.
		{ section: "daily_counts", model: ReportingBucket, owner: ["key"], onUserErasure: "delete", noSchoolField: true },
	],
	{
		async eraseUser(_ctx, subject) {
			const pseudonym = `erased-${subject.erasureId}`;
			const counts: Record<string, number> = {};
			for (const [model, fields] of PEOPLE_FIELDS) counts[`pseudonymised_${model.collection.name}`] = await pseudonymise(model, fields, subject.schoolId, subject.userId, pseudonym);
			// The feed's cached class and path members were read before: read again.
			forgetStates(subject.schoolId);
			return counts;
		},
		async eraseSchool(_ctx, schoolId) {
			const counts: Record<string, number> = {};
			for (const model of [...GENERATION_MODELS, ReportingBatch]) {
				counts[model.collection.name] = (await model.deleteMany({ schoolId })).deletedCount ?? 0;
			}
			counts.reporting_generations = (await ReportingGeneration.deleteOne({ _id: schoolId })).deletedCount ?? 0;
			forgetStates(schoolId);
			return counts;
		},
	},
);

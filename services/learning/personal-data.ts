/**
 * Block 2's part in data rights. A student's learning record (memory states and every review, revision
 * sessions, evaluation attempts, progress, live answers, their own scheduling layer) goes with them. A
 * teacher's course material (content, paths, scheduling layers of their paths) belongs to the school and
 * stays, under the erased account's id.
 */
import { ContentItem } from "../../models/content-item.model.js";
import { EvaluationAttempt } from "../../models/evaluation-attempt.model.js";
import { LearningPath } from "../../models/learning-path.model.js";
import { LiveAnswer } from "../../models/live-answer.model.js";
import { LiveSession } from "../../models/live-session.model.js";
import { MemoryState } from "../../models/memory-state.model.js";
import { PathProgress } from "../../models/path-progress.model.js";
import { ReviewLog } from "../../models/review-log.model.js";
import { RevisionSession } from "../../models/revision-session.model.js";
import { SchedulingProfile } from "../../models/scheduling-profile.model.js";
import { idForms, personalDataMixin, type ErasureSubject } from "../shared/personal-data.js";

export const contentPersonalData = personalDataMixin("content", [{ section: "content_authored", model: ContentItem, owner: ["ownerId"], onUserErasure: "keep" }]);

export const pathsPersonalData = personalDataMixin("paths", [
	{
		section: "learning_paths",
		model: LearningPath,
		owner: ["ownerId", "studentIds"],
		onUserErasure: { update: (s: ErasureSubject) => ({ $pull: { studentIds: { $in: idForms(s.userId) } } }) },
	},
]);

export const revisionsPersonalData = personalDataMixin("revisions", [{ section: "revision_sessions", model: RevisionSession, owner: ["studentId"], omit: ["extraTimePercent"], onUserErasure: "delete" }]);

export const evaluationsPersonalData = personalDataMixin("evaluations", [{ section: "evaluation_attempts", model: EvaluationAttempt, owner: ["studentId"], onUserErasure: "delete" }]);

export const progressPersonalData = personalDataMixin("progress", [{ section: "path_progress", model: PathProgress, owner: ["studentId"], onUserErasure: "delete" }]);

export const schedulingPersonalData = personalDataMixin("scheduling", [
	{ section: "scheduling_layers", model: SchedulingProfile, owner: ["studentId"], onUserErasure: "delete" },
	{ section: "teacher_scheduling_layers", model: SchedulingProfile, owner: ["teacherId"], onUserErasure: "keep" },
]);

export const memoryPersonalData = personalDataMixin("memory", [
	{ section: "memory_states", model: MemoryState, owner: ["studentId"], onUserErasure: "delete" },
	{ section: "reviews", model: ReviewLog, owner: ["studentId"], onUserErasure: "delete" },
]);

export const liveSessionsPersonalData = personalDataMixin("liveSessions", [
	{
		section: "live_sessions",
		model: LiveSession,
		owner: ["teacherId", "leaderboard.studentId"],
		omit: ["pathOwnerId"],
		onUserErasure: { filter: s => ({ "leaderboard.studentId": { $in: idForms(s.userId) } }), update: (s: ErasureSubject) => ({ $pull: { leaderboard: { studentId: { $in: idForms(s.userId) } } } }) },
	},
	{ section: "live_answers", model: LiveAnswer, owner: ["studentId"], onUserErasure: "delete" },
]);

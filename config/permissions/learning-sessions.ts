import { INTERNAL, SCHOOL_MEMBERS, type PermissionTable } from "./types.js";

const MANAGERS = ["school_admin", "teacher"] as const;

/**
 * Block 2 (learning-sessions): paths, revision sessions, evaluations, progress; see docs/LEARNING.md.
 * Resource rules (a teacher changes only their own paths, a student sees only their own sessions) are
 * checked by the services.
 */
export const learningSessionsPermissions: PermissionTable = {
	"paths.create": MANAGERS,
	"paths.list": SCHOOL_MEMBERS,
	"paths.get": SCHOOL_MEMBERS,
	"paths.update": MANAGERS,
	"paths.setSteps": MANAGERS,
	"paths.reorderSteps": MANAGERS,
	"paths.assign": MANAGERS,
	"paths.unassign": MANAGERS,
	"paths.activate": MANAGERS,
	"paths.archive": MANAGERS,
	"paths.forStudent": INTERNAL,
	"paths.resolve": INTERNAL,
	"paths.ofTeacher": INTERNAL,
	"paths.ofStudent": INTERNAL,
	"paths.ofClass": INTERNAL,
	"paths.itemInUse": INTERNAL,

	"revisions.start": ["student"],
	"revisions.next": ["student"],
	"revisions.answer": ["student"],
	"revisions.end": ["student"],
	"revisions.get": SCHOOL_MEMBERS,
	"revisions.list": SCHOOL_MEMBERS,
	"revisions.expireIdle": ["system"],
	"revisions.recordGroupSession": INTERNAL,
	"revisions.recordGroupSessions": INTERNAL,

	// Live group sessions (issue 4). `admit` is called by the rooms as the joining user.
	"liveSessions.create": ["teacher"],
	"liveSessions.join": ["teacher", "student"],
	"liveSessions.get": ["teacher", "school_admin"],
	"liveSessions.admit": SCHOOL_MEMBERS,
	"liveSessions.load": INTERNAL,
	"liveSessions.recordAnswers": INTERNAL,
	"liveSessions.finish": INTERNAL,
	// Block 4's agenda asks for the sessions of a user's classes.
	"liveSessions.agenda": INTERNAL,
	// The realtime node that takes this call creates the session's room.
	"realtime.openGroupRoom": INTERNAL,

	"evaluations.start": ["student"],
	"evaluations.submit": ["student"],
	"evaluations.get": SCHOOL_MEMBERS,
	"evaluations.list": SCHOOL_MEMBERS,
	"evaluations.inProgress": INTERNAL,

	"progress.recordSession": INTERNAL,
	"progress.recordSessions": INTERNAL,
	"progress.stepStatus": INTERNAL,
	"progress.me": ["student"],
	"progress.path": MANAGERS,
	"progress.class": MANAGERS,
};

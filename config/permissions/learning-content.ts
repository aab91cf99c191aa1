import { INTERNAL, SCHOOL_MEMBERS, type PermissionTable } from "./types.js";

const AUTHORS = ["school_admin", "teacher"] as const;

/**
 * Block 2 (learning-content): content items, scheduling profiles, the memory model; see docs/LEARNING.md.
 * Students never read items through the content routes: sessions serve them redacted. Resource rules
 * (a teacher changes only their own items, a student only their own layer within bounds) live in the services.
 */
export const learningContentPermissions: PermissionTable = {
	"content.create": AUTHORS,
	"content.list": AUTHORS,
	"content.get": AUTHORS,
	"content.update": AUTHORS,
	"content.setStatus": AUTHORS,
	"content.remove": AUTHORS,
	"content.import": AUTHORS,
	"content.resolveMany": INTERNAL,
	"content.createGenerated": INTERNAL,

	"scheduling.getLayer": SCHOOL_MEMBERS,
	"scheduling.setLayer": SCHOOL_MEMBERS,
	"scheduling.effective": SCHOOL_MEMBERS,
	"scheduling.resolve": INTERNAL,
	"scheduling.resolveMany": INTERNAL,
	"scheduling.optimize": ["school_admin", "teacher", "system"],
	"scheduling.optimizeDue": ["system"],

	"memory.recordReview": INTERNAL,
	"memory.recordReviews": INTERNAL,
	"memory.states": INTERNAL,
	"memory.statesMany": INTERNAL,
	"memory.newIntroducedOn": INTERNAL,
	"memory.history": INTERNAL,
	"memory.reviewDays": INTERNAL,
	"memory.reviewCounts": ["system"],
};

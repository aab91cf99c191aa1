import type { PermissionTable, Principal } from "./types.js";

const TEACHING = ["school_admin", "teacher"] as const;
const ALL_SCHOOL = ["school_admin", "teacher", "student"] as const;
const SYSTEM_ONLY: readonly Principal[] = ["system"];

/** The same principals for a dashboard, its CSV export and each of its charts. */
function dashboard(name: string, charts: string[], who: readonly Principal[]): PermissionTable {
	const cap = (s: string) => s[0].toUpperCase() + s.slice(1).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
	return Object.fromEntries([[`reporting.${name}`, who], [`reporting.${name}Csv`, who], ...charts.map(c => [`reporting.${name}${cap(c)}Chart`, who])]);
}

/**
 * Block 5 (reporting): dashboards, their charts and CSV, the class PDF; see docs/REPORTING.md. Resource rules
 * (a student sees only themself, a teacher only the classes and students they teach) are checked by the
 * service through the owners (classes.get, classes.teachesStudent). The owners' `export` actions replay their
 * facts for `npm run reporting:rebuild`: the system principal only.
 */
export const reportingPermissions: PermissionTable = {
	...dashboard("student", ["reviews", "retention", "progress", "time"], ALL_SCHOOL),
	...dashboard("class", ["activity", "completion", "live", "ai-complexity", "heatmap"], TEACHING),
	"reporting.classHeatmap": TEACHING,
	"reporting.classPdf": TEACHING,
	...dashboard("school", ["active-users", "engagement", "completion", "invoices"], ["school_admin"]),
	...dashboard("platform", ["mrr", "schools", "usage"], ["platform_admin"]),
	...dashboard("public", ["activity", "subjects"], ["anonymous"]),
	"reportingFeed.status": ["platform_admin"],
	"reportingFeed.idle": SYSTEM_ONLY,

	// The owners' exports (each replays its block's stored facts as the messages it publishes live).
	"schools.export": SYSTEM_ONLY,
	"users.export": SYSTEM_ONLY,
	"classes.export": SYSTEM_ONLY,
	"paths.export": SYSTEM_ONLY,
	"memory.exportReviews": SYSTEM_ONLY,
	"revisions.export": SYSTEM_ONLY,
	"evaluations.export": SYSTEM_ONLY,
	"progress.export": SYSTEM_ONLY,
	"conversations.exportMessages": SYSTEM_ONLY,
	"visio.exportAttendance": SYSTEM_ONLY,
	"aiTutor.export": SYSTEM_ONLY,
	"aiGeneration.export": SYSTEM_ONLY,
	"invoices.feedExport": SYSTEM_ONLY,
};

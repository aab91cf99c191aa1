import { PERSONAL_DATA_PARTS } from "../../services/ops/data-rights-parts.js";
import { INTERNAL, SCHOOL_MEMBERS, type PermissionTable } from "./types.js";

/** Operations (issue 16): metrics of every node; data rights (export, erasure, closure of a school). */
export const opsPermissions: PermissionTable = {
	// Each node's metrics, gathered by ops.scrape; the scrape itself: platform admins, or the system
	// principal the gateway uses for a scraper holding METRICS_TOKEN.
	"ops.nodeMetrics": INTERNAL,
	"ops.scrape": ["platform_admin", "system"],

	// Data rights: members export and erase their own data; a school admin exports and erases a
	// member's (exports: students only), keeps the register and closes the school; staff close a school.
	"dataRights.exportMine": SCHOOL_MEMBERS,
	"dataRights.exportUser": ["school_admin"],
	"dataRights.eraseMine": SCHOOL_MEMBERS,
	"dataRights.eraseUser": ["school_admin"],
	"dataRights.erasures": ["school_admin"],
	"dataRights.erasure": ["school_admin"],
	"dataRights.closure": ["school_admin"],
	"dataRights.requestClosure": ["school_admin"],
	"dataRights.cancelClosure": ["school_admin"],
	"dataRights.closeSchool": ["platform_admin"],
	"dataRights.runDue": ["system"],
	"dataRights.erasurePartDone": INTERNAL,
	"dataRights.erasureSubject": INTERNAL,
	"users.eraseAccount": INTERNAL,
	// A live session outliving its realtime process: the room's checkpoints, the state a new room resumes
	// from, and whether a room still runs (services/learning/live/room-recovery.ts).
	"liveSessions.checkpoint": INTERNAL,
	"liveSessions.resumeState": INTERNAL,
	"realtime.groupRoomAlive": INTERNAL,
	// Every part's export page (services/shared/personal-data.ts), asked by dataRights only.
	...Object.fromEntries(PERSONAL_DATA_PARTS.map(part => [`${part}.exportPersonalData`, INTERNAL])),
};

import { INTERNAL, type PermissionTable } from "./types.js";

/** Operations (issue 16): metrics of every node; data rights (export, erasure, closure of a school). */
export const opsPermissions: PermissionTable = {
	// Each node's metrics, gathered by ops.scrape; the scrape itself: platform admins, or the system
	// principal the gateway uses for a scraper holding METRICS_TOKEN.
	"ops.nodeMetrics": INTERNAL,
	"ops.scrape": ["platform_admin", "system"],
};

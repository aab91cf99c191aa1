import { aiPermissions } from "./ai.js";
import { billingPermissions } from "./billing.js";
import { communicationPermissions } from "./communication.js";
import { learningContentPermissions } from "./learning-content.js";
import { learningSessionsPermissions } from "./learning-sessions.js";
import { reportingPermissions } from "./reporting.js";
import type { PermissionTable, Principal } from "./types.js";
import { usersPermissions } from "./users.js";
import { webPermissions } from "./web.js";
import { opsPermissions } from "./ops.js";

export type { PermissionTable, Principal } from "./types.js";

/**
 * The permission matrix: every action a client or another service may call, and who may call it.
 * An action missing from this table is refused (fail closed). The permission middleware enforces it
 * on every call, local or remote, and the `permission matrix` test is generated from it.
 */
export const PERMISSIONS: PermissionTable = {
	...usersPermissions,
	...billingPermissions,
	...communicationPermissions,
	...learningContentPermissions,
	...learningSessionsPermissions,
	...aiPermissions,
	...webPermissions,
	...reportingPermissions,
	...opsPermissions,
};

export function principalsFor(action: string): readonly Principal[] | undefined {
	return Object.prototype.hasOwnProperty.call(PERMISSIONS, action) ? PERMISSIONS[action] : undefined;
}

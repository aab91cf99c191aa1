import { ANYONE, SCHOOL_MEMBERS, type PermissionTable } from "./types.js";

/** The web client's own endpoints: where live rooms are (public), and who the caller may write to. */
export const webPermissions: PermissionTable = {
	"realtime.clientConfig": ANYONE,
	"contacts.list": SCHOOL_MEMBERS,
};

/**
 * The people a school member may write to, with their names (the chat's conversations carry only ids,
 * and students may not list users). Built from the caller's own classes (classes.list, as the caller)
 * and the school's users (users.resolveMany, scoped to the caller's school): nothing of another school
 * can appear. Rules in contact-rules.ts.
 */
import type { Ctx } from "../shared/identity.js";
import { currentUser } from "../shared/identity.js";
import type { ServiceDef } from "../shared/service.js";
import { contactClasses, type ClassMembers } from "./contact-rules.js";

const CLASS_PAGES = 10;
const MAX_CONTACTS = 1000;
const ROLE_ORDER = { teacher: 0, school_admin: 1, student: 2 } as const;

interface Contact {
	id: string;
	firstName: string;
	lastName: string;
	role: "teacher" | "student" | "school_admin";
	classes: string[];
}

const ContactsService: ServiceDef = {
	name: "contacts",
	settings: { rest: "/" },

	actions: {
		list: {
			rest: "GET /contacts",
			params: { $$strict: "remove" },
			async handler(this: any, ctx: Ctx<Record<string, never>>): Promise<{ rows: Contact[] }> {
				const me = currentUser(ctx);
				const classes: ClassMembers[] = [];
				for (let page = 1; page <= CLASS_PAGES; page++) {
					const res = await ctx.call<any, any>("classes.list", { page, pageSize: 100 });
					for (const c of res.rows) classes.push({ id: String(c.id), name: String(c.name), teacherIds: (c.teacherIds ?? []).map(String), studentIds: (c.studentIds ?? []).map(String) });
					if (page >= res.totalPages) break;
				}
				const linked = contactClasses(me, classes);
				const ids = [...linked.keys()].slice(0, MAX_CONTACTS);
				if (ids.length === 0) return { rows: [] };
				const users = await ctx.call<any[], any>("users.resolveMany", { ids });
				const rows: Contact[] = users
					.filter(u => u.status === undefined || u.status === "active")
					.map(u => ({
						id: String(u.id),
						firstName: u.firstName ?? "",
						lastName: u.lastName ?? "",
						role: (u.roles ?? []).includes("teacher") ? "teacher" : (u.roles ?? []).includes("student") ? "student" : "school_admin",
						classes: linked.get(String(u.id)) ?? [],
					}));
				rows.sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.lastName.localeCompare(b.lastName) || a.firstName.localeCompare(b.firstName));
				return { rows };
			},
		},
	},
};

export default ContactsService;

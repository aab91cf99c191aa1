/**
 * Who a user may write to, from the classes they see: a student, the teachers of the classes they attend;
 * a teacher, the students and the other teachers of the classes they teach; a school admin, everyone in
 * the school's classes. The chat's own policy (conversations.open) still decides each conversation; this
 * only names people, so the client can show "Ms Martin (6A)" instead of an id.
 */
export interface ClassMembers {
	id: string;
	name: string;
	teacherIds: string[];
	studentIds: string[];
}

export interface Me {
	id: string;
	roles: readonly string[];
}

/** contact id → names of the classes that link the caller to them (sorted, without duplicates). */
export function contactClasses(me: Me, classes: readonly ClassMembers[]): Map<string, string[]> {
	const admin = me.roles.includes("school_admin");
	const found = new Map<string, Set<string>>();
	const add = (id: string, className: string) => {
		if (id === me.id) return;
		let names = found.get(id);
		if (!names) found.set(id, (names = new Set()));
		names.add(className);
	};
	for (const cls of classes) {
		const teaches = cls.teacherIds.includes(me.id);
		const attends = cls.studentIds.includes(me.id);
		if (admin || teaches) {
			for (const id of cls.teacherIds) add(id, cls.name);
			for (const id of cls.studentIds) add(id, cls.name);
		} else if (attends) {
			for (const id of cls.teacherIds) add(id, cls.name);
		}
	}
	return new Map([...found].map(([id, names]) => [id, [...names].sort((a, b) => a.localeCompare(b))]));
}

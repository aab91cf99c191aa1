/**
 * Which scheduling-profile layer a request names, and who may read or write it. Pure, so the rules are
 * tested without a database; the service supplies the facts (is the caller a teacher of the student?).
 *
 * Writes: the school and subject layers belong to school admins; a teacher layer to that teacher (and
 * admins); a student layer to that student, who stays within the bounds their teachers set, and to a
 * teacher of theirs or an admin, without bounds. Reads: every member of the school reads the school,
 * subject and teacher layers (they are what a student's bounds come from); a student layer is read by
 * whoever may write it.
 */
import type { AuthUser } from "../../shared/identity.js";
import type { FieldProblem, ProfileLayer, ProfileValues, StudentBounds } from "./profile-layers.js";

export type LayerKind = "school" | "subject" | "teacher" | "student";

export interface LayerRef {
	kind: LayerKind;
	subject?: string;
	teacherId?: string;
	studentId?: string;
}

/** The layer as a request names it: missing ids default to the caller, fields the kind does not take are problems. */
export function normalizeLayerRef(ref: LayerRef, user: AuthUser): { ref: LayerRef; problems: FieldProblem[] } {
	const problems: FieldProblem[] = [];
	const refuse = (field: "subject" | "teacherId" | "studentId") => {
		if (ref[field] !== undefined) problems.push({ field, message: `is not used by a ${ref.kind} layer` });
	};
	const out: LayerRef = { kind: ref.kind };
	switch (ref.kind) {
		case "school":
			refuse("subject");
			refuse("teacherId");
			refuse("studentId");
			break;
		case "subject":
			refuse("teacherId");
			refuse("studentId");
			if (ref.subject === undefined) problems.push({ field: "subject", message: "is required for a subject layer" });
			out.subject = ref.subject;
			break;
		case "teacher":
			refuse("subject");
			refuse("studentId");
			out.teacherId = ref.teacherId ?? (user.roles.includes("teacher") ? user.id : undefined);
			if (out.teacherId === undefined) problems.push({ field: "teacherId", message: "is required for a teacher layer" });
			break;
		case "student":
			refuse("teacherId");
			out.studentId = ref.studentId ?? (user.roles.includes("student") ? user.id : undefined);
			if (out.studentId === undefined) problems.push({ field: "studentId", message: "is required for a student layer" });
			if (ref.subject !== undefined) out.subject = ref.subject;
			break;
	}
	return { ref: out, problems };
}

/** The layer's unique name inside its school. */
export function layerKey(ref: LayerRef): string {
	switch (ref.kind) {
		case "school":
			return "school";
		case "subject":
			return `subject:${ref.subject}`;
		case "teacher":
			return `teacher:${ref.teacherId}`;
		case "student":
			return ref.subject === undefined ? `student:${ref.studentId}` : `student:${ref.studentId}:subject:${ref.subject}`;
	}
}

/** "free": may set any value; "bounded": a student on their own layer; "forbidden". */
export type EditRight = "free" | "bounded" | "forbidden";

export function editRight(user: AuthUser, ref: LayerRef, facts: { teachesStudent: boolean }): EditRight {
	const admin = user.roles.includes("school_admin");
	switch (ref.kind) {
		case "school":
		case "subject":
			return admin ? "free" : "forbidden";
		case "teacher":
			return admin || (user.roles.includes("teacher") && ref.teacherId === user.id) ? "free" : "forbidden";
		case "student":
			if (admin || (user.roles.includes("teacher") && facts.teachesStudent)) return "free";
			return user.roles.includes("student") && ref.studentId === user.id ? "bounded" : "forbidden";
	}
}

export function mayRead(user: AuthUser, ref: LayerRef, facts: { teachesStudent: boolean }): boolean {
	return ref.kind !== "student" || editRight(user, ref, facts) !== "forbidden";
}

/** A stored layer document as profile-layers.ts takes it. */
export function toProfileLayer(doc: {
	kind: LayerKind;
	subject?: string | null;
	teacherId?: string | null;
	values?: Partial<ProfileValues>;
	studentBounds?: StudentBounds | null;
}): ProfileLayer {
	const values = { ...(doc.values ?? {}) };
	const bounds = doc.studentBounds ? { studentBounds: doc.studentBounds } : {};
	switch (doc.kind) {
		case "school":
			return { kind: "school", values, ...bounds };
		case "subject":
			return { kind: "subject", subject: doc.subject ?? "", values, ...bounds };
		case "teacher":
			return { kind: "teacher", teacherId: String(doc.teacherId), values, ...bounds };
		case "student":
			return doc.subject ? { kind: "student", subject: doc.subject, values } : { kind: "student", values };
	}
}

/** Problems found against several sets of bounds, each reported once. */
export function mergeProblems(lists: readonly FieldProblem[][]): FieldProblem[] {
	const seen = new Set<string>();
	const out: FieldProblem[] = [];
	for (const p of lists.flat()) {
		const key = `${p.field}\u0000${p.message}`;
		if (!seen.has(key)) {
			seen.add(key);
			out.push(p);
		}
	}
	return out;
}

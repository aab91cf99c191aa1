/**
 * Who may talk to whom, and what a message may say. Pure rules: the conversations service feeds them
 * the users' roles, schools and class memberships it fetched.
 */
import type { ConversationKind } from "../../models/conversation.model.js";
import { MESSAGE_MAX_LENGTH } from "../../models/message.model.js";
import { charCount, cleanText } from "../shared/text-hygiene.js";
import { moderate } from "./moderation.js";

/** A school's rule for students starting conversations with teachers (School.settings.chat). */
export const STUDENT_CONTACT_POLICIES = ["own_teachers", "all_teachers", "none"] as const;
export type StudentContactPolicy = (typeof STUDENT_CONTACT_POLICIES)[number];
export const DEFAULT_STUDENT_CONTACT_POLICY: StudentContactPolicy = "own_teachers";

export interface Party {
	id: string;
	schoolId: string | null;
	roles: readonly string[];
}

export interface Pairing {
	kind: ConversationKind;
	/** The role each party speaks in, in the order (a, b). */
	roles: [string, string];
}

const has = (p: Party, role: string) => p.roles.includes(role);

/**
 * The kind of conversation two users may have, or null. Support comes first: a teacher writing to
 * support is a support conversation, not a staff one. Support staff never talk to each other here.
 */
export function pairKind(a: Party, b: Party): Pairing | null {
	if (a.id === b.id) return null;
	const aSupport = has(a, "support");
	const bSupport = has(b, "support");
	if (aSupport !== bSupport) {
		const other = aSupport ? b : a;
		const otherRole = other.roles.find(r => r !== "support") ?? "user";
		return { kind: "support", roles: aSupport ? ["support", otherRole] : [otherRole, "support"] };
	}
	if (aSupport && bSupport) return null;
	// Everything else happens inside one school.
	if (!a.schoolId || a.schoolId !== b.schoolId) return null;
	if (has(a, "student") && has(b, "teacher")) return { kind: "student_teacher", roles: ["student", "teacher"] };
	if (has(a, "teacher") && has(b, "student")) return { kind: "student_teacher", roles: ["teacher", "student"] };
	if (has(a, "teacher") && has(b, "school_admin")) return { kind: "teacher_admin", roles: ["teacher", "school_admin"] };
	if (has(a, "school_admin") && has(b, "teacher")) return { kind: "teacher_admin", roles: ["school_admin", "teacher"] };
	return null;
}

/** One conversation per kind and pair, whoever opened it. */
export function conversationKey(kind: ConversationKind, a: string, b: string): string {
	const [x, y] = [a.toLowerCase(), b.toLowerCase()].sort();
	return `${kind}:${x}:${y}`;
}

/**
 * Whether a student and a teacher may talk, given the school's policy and whether they share a class.
 * The rule binds both directions: a school that closes student ↔ teacher chat closes it for teachers too.
 */
export function studentTeacherAllowed(policy: StudentContactPolicy, shareAClass: boolean): boolean {
	if (policy === "none") return false;
	if (policy === "all_teachers") return true;
	return shareAClass;
}

export type TextVerdict = { ok: true; text: string } | { ok: false; reason: "empty" | "too_long" | "moderated"; message: string };

/**
 * Cleans the text (text-hygiene.ts: NFKC, invisible characters dropped, trimmed), then refuses an empty,
 * over-long or moderated one. The limit counts characters (code points) in any script: 4,000 emoji are
 * 4,000 characters. Chat is plain text: stored and sent as typed, never rendered as markdown or HTML.
 */
export function checkMessageText(raw: string): TextVerdict {
	const text = cleanText(raw);
	if (text.length === 0) return { ok: false, reason: "empty", message: "The message is empty" };
	if (charCount(text) > MESSAGE_MAX_LENGTH) {
		return { ok: false, reason: "too_long", message: `The message is longer than ${MESSAGE_MAX_LENGTH} characters` };
	}
	const verdict = moderate(text);
	if (!verdict.allowed) return { ok: false, reason: "moderated", message: verdict.reason };
	return { ok: true, text };
}

/** Whether the teacher teaches one of the classes the student attends (from `classes.membership`). */
export function teachesStudent(teacher: { teaches: string[] }, student: { attends: string[] }): boolean {
	const taught = new Set(teacher.teaches);
	return student.attends.some(id => taught.has(id));
}

/**
 * The most UTF-16 units a message's raw text may have: 4,000 characters of any script (each one or two
 * units) plus room for whitespace and invisible characters that cleaning removes before the real limit
 * (MESSAGE_MAX_LENGTH characters, in `checkMessageText`) applies. It also bounds a chat frame's size
 * (rooms/message-size.ts).
 */
export const MESSAGE_RAW_MAX_UNITS = MESSAGE_MAX_LENGTH * 2 + 1000;
export const CLIENT_ID_MAX = 64;

/** fastest-validator rules of a message, shared by the REST action and the chat room. */
export const MESSAGE_RULES = {
	clientId: { type: "string", min: 1, max: CLIENT_ID_MAX, pattern: /^[A-Za-z0-9_.:-]+$/, description: "The client's id for this message: a retry with the same id returns the stored message." },
	text: {
		type: "string",
		max: MESSAGE_RAW_MAX_UNITS,
		chars: { min: 1, max: MESSAGE_MAX_LENGTH },
		description: `Plain text (never rendered as markdown or HTML), up to ${MESSAGE_MAX_LENGTH} characters in any script once cleaned: Unicode NFKC, control, bidi-override and zero-width characters removed, trimmed. Line breaks are kept.`,
	},
} as const;

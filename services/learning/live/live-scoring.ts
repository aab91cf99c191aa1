/**
 * The rules of a teacher-led group session that are not the revision rules (those are
 * sessions/session-logic.ts, shared with solo sessions): join codes, points, answer distribution and
 * ranking. Pure, so they are unit-tested without a room.
 *
 * Points (documented in README "Live rooms"): an answer worth `score` (0..1, partial credit for some
 * multiple choice questions; 0 when wrong) given with `remainingMs` of `limitMs` left earns
 *   round(1000 × score × (0.5 + 0.5 × remainingMs / limitMs))
 * so a right answer is worth 500 to 1000 points, faster is better, a wrong one 0. The time is the
 * server's: from the question going out to the answer arriving, pauses excluded.
 */
import { randomInt } from "node:crypto";

export const MAX_POINTS = 1000;

/** No 0/O, 1/I/L: read aloud or copied from a projector without mistakes. */
const CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
export const CODE_LENGTH = 6;
export const CODE_PATTERN = new RegExp(`^[${CODE_ALPHABET}]{${CODE_LENGTH}}$`);

export function joinCode(random: (max: number) => number = randomInt): string {
	let code = "";
	for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[random(CODE_ALPHABET.length)];
	return code;
}

/** What a student types, as stored: upper case, spaces and dashes dropped. */
export function normalizeCode(raw: string): string {
	return raw.toUpperCase().replace(/[\s-]/g, "");
}

export function points(score: number, remainingMs: number, limitMs: number): number {
	if (!(score > 0) || limitMs <= 0) return 0;
	const left = Math.min(Math.max(remainingMs, 0), limitMs) / limitMs;
	return Math.round(MAX_POINTS * Math.min(score, 1) * (0.5 + 0.5 * left));
}

/**
 * The bucket an answer counts in for the distribution shown at the reveal: the choice(s) picked for
 * choice questions, true/false, and right/wrong for free answers (their texts are the students' own).
 */
export function distributionKeys(kind: string, answer: unknown, correct: boolean): string[] {
	const a = (answer ?? {}) as Record<string, unknown>;
	switch (kind) {
		case "single_choice":
			return [String(a.choiceId)];
		case "multiple_choice":
			return Array.isArray(a.choiceIds) && a.choiceIds.length > 0 ? a.choiceIds.map(String) : ["none"];
		case "true_false":
			return [a.value === true ? "true" : "false"];
		default:
			return [correct ? "right" : "wrong"];
	}
}

export interface Standing {
	studentId: string;
	score: number;
}

/** Highest score first; equal scores share a rank (1, 1, 3); ties listed by student id for stability. */
export function rank<T extends Standing>(standings: readonly T[]): (T & { rank: number })[] {
	const sorted = [...standings].sort((a, b) => b.score - a.score || (a.studentId < b.studentId ? -1 : a.studentId > b.studentId ? 1 : 0));
	let previous: number | undefined;
	let currentRank = 0;
	return sorted.map((s, i) => {
		if (s.score !== previous) currentRank = i + 1;
		previous = s.score;
		return { ...s, rank: currentRank };
	});
}

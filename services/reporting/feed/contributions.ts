/**
 * What one fact adds to the projections, given what reporting knows of its school (time zone, who attends
 * which class, who holds which role, each path's subject): counters in daily buckets, a user in the day's
 * active set, an answer in the student's mastery record, a live session's results, a completed step.
 * Pure; feed/writer.ts merges the contributions of a batch and writes them.
 */
import { localDay } from "./local-time.js";
import type { Fact, Role } from "./facts.js";

export type Scope = "sch" | "cls" | "pth" | "stu" | "itm" | "tch" | "sub";

/** The counters a student's bucket also keeps per path (`p.<pathId>.<counter>`): their progress per path over time. */
export const PER_PATH = ["rv", "ok", "ss", "tm", "st"];
export type ActiveSet = "st" | "te" | "ot";

export interface FactContext {
	timeZone: string;
	classesOf(studentId: string): string[];
	roleOf(userId: string): Role;
	pathOf(pathId: string): { subject: string | null; ownerId: string | null } | undefined;
}

export type Contribution =
	| { kind: "bucket"; scope: Scope; key: string; day: string; counters: Record<string, number> }
	| { kind: "active"; span: "day" | "month" | "subject-month"; key: string; set: ActiveSet; userId: string }
	| { kind: "mastery"; studentId: string; itemId: string; pathId: string | null; correct: boolean; entry: { t: Date; k: 0 | 1; r: number | null; s: number | null } }
	| { kind: "live"; liveSessionId: string; pathId: string; teacherId: string | null; at: Date; classIds: string[]; n: number; sc: number; an: number; ok: number }
	| { kind: "progress"; studentId: string; pathId: string; stepId: string; at: Date };

const SET_OF: Record<Role, ActiveSet> = { student: "st", teacher: "te", other: "ot" };

export function contributionsOf(f: Fact, ctx: FactContext): Contribution[] {
	const day = localDay(f.at, ctx.timeZone);
	const month = day.slice(0, 7);
	const out: Contribution[] = [];
	const bucket = (scope: Scope, key: string, counters: Record<string, number>) => out.push({ kind: "bucket", scope, key, day, counters });
	const active = (userId: string, role: Role, subject?: string | null) => {
		const set = SET_OF[role];
		out.push({ kind: "active", span: "day", key: day, set, userId }, { kind: "active", span: "month", key: month, set, userId });
		if (subject && role === "student") out.push({ kind: "active", span: "subject-month", key: `${subject}|${month}`, set, userId });
	};
	/** A student's fact counts for them, their path, their classes, the school, the path's teacher and subject. */
	const studentScopes = (studentId: string, pathId: string | null, teacherId: string | null, counters: Record<string, number>) => {
		const path = pathId ? ctx.pathOf(pathId) : undefined;
		bucket("sch", "-", counters);
		// The student's own counters, and per path (nested in the same document: one write instead of two).
		const perPath = pathId ? Object.fromEntries(Object.entries(counters).filter(([k]) => PER_PATH.includes(k)).map(([k, v]) => [`p.${pathId}.${k}`, v])) : {};
		bucket("stu", studentId, { ...counters, ...perPath });
		for (const classId of ctx.classesOf(studentId)) bucket("cls", classId, counters);
		if (pathId) bucket("pth", pathId, counters);
		const teacher = teacherId ?? path?.ownerId ?? null;
		if (teacher) bucket("tch", teacher, counters);
		if (path?.subject) bucket("sub", path.subject, counters);
		active(studentId, "student", path?.subject);
	};

	switch (f.type) {
		case "review": {
			const counters: Record<string, number> = { rv: 1, ok: f.correct ? 1 : 0, nw: f.first ? 1 : 0 };
			if (f.retrievability !== null) Object.assign(counters, { pn: 1, pr: f.retrievability, pk: f.correct ? 1 : 0 });
			if (f.responseTimeMs !== null) Object.assign(counters, { rt: f.responseTimeMs, rtn: 1 });
			studentScopes(f.studentId, f.pathId, f.teacherId, counters);
			bucket("itm", f.itemId, counters);
			out.push({ kind: "mastery", studentId: f.studentId, itemId: f.itemId, pathId: f.pathId, correct: f.correct, entry: { t: f.at, k: f.correct ? 1 : 0, r: f.retrievability, s: f.stability } });
			break;
		}
		case "session": {
			const done = f.status === "completed";
			const counters: Record<string, number> = { ss: done ? 1 : 0, sa: done ? 0 : 1, tm: f.timeSpentMs, sc: f.score, an: f.answered, co: f.correct, gs: f.mode === "group" ? 1 : 0 };
			studentScopes(f.studentId, f.pathId, f.teacherId, counters);
			if (f.mode === "group" && f.liveSessionId) {
				out.push({ kind: "live", liveSessionId: f.liveSessionId, pathId: f.pathId, teacherId: f.teacherId, at: f.at, classIds: ctx.classesOf(f.studentId), n: 1, sc: f.score, an: f.answered, ok: f.correct });
			}
			break;
		}
		case "evaluation":
			studentScopes(f.studentId, f.pathId, f.teacherId, { ev: 1, ep: f.passed ? 1 : 0, es: f.score });
			break;
		case "step":
			studentScopes(f.studentId, f.pathId, null, { st: 1 });
			out.push({ kind: "progress", studentId: f.studentId, pathId: f.pathId, stepId: f.stepId, at: f.at });
			break;
		case "ai": {
			const counters: Record<string, number> = { aq: 1, af: f.flagged ? 1 : 0, tk: f.tokens };
			if (f.level !== null) Object.assign(counters, { ac: f.level, acn: 1, [`a${f.level}`]: 1 });
			studentScopes(f.studentId, f.pathId, f.teacherId, counters);
			break;
		}
		case "aiGeneration":
			bucket("sch", "-", { tk: f.tokens, ag: 1 });
			bucket("tch", f.ownerId, { tk: f.tokens, ag: 1 });
			active(f.ownerId, ctx.roleOf(f.ownerId));
			break;
		case "message":
		case "visio": {
			const userId = f.type === "message" ? f.senderId : f.userId;
			const role = ctx.roleOf(userId);
			const counters: Record<string, number> = f.type === "message" ? { ms: 1 } : f.left ? { vm: f.seconds } : { vj: 1 };
			bucket("sch", "-", counters);
			if (role === "student") {
				bucket("stu", userId, counters);
				for (const classId of ctx.classesOf(userId)) bucket("cls", classId, counters);
			} else if (role === "teacher") bucket("tch", userId, counters);
			if (f.type === "message" || !f.left) active(userId, role);
			break;
		}
	}
	return out;
}

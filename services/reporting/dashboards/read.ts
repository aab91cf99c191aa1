/**
 * Reads of the projections for the dashboards: always one school's current generation, mostly by primary key
 * (bucket, activity and mastery documents have ids built from their key), so a dashboard costs a few indexed
 * round trips whatever the size of the school.
 */
import { ReportingActivity } from "../../../models/reporting-activity.model.js";
import { ReportingBucket } from "../../../models/reporting-bucket.model.js";
import { ReportingClass } from "../../../models/reporting-class.model.js";
import { ReportingLiveSession } from "../../../models/reporting-live-session.model.js";
import { ReportingMastery } from "../../../models/reporting-mastery.model.js";
import { ReportingPath } from "../../../models/reporting-path.model.js";
import { ReportingPerson } from "../../../models/reporting-person.model.js";
import { ReportingProgress } from "../../../models/reporting-progress.model.js";
import type { Scope } from "../feed/contributions.js";
import { generationOf } from "../feed/generations.js";
import { monthsOf } from "../feed/local-time.js";

export type Counters = Record<string, number>;
/** day -> counters */
export type Series = Map<string, Counters>;

export interface Projection {
	schoolId: string;
	g: number;
}

export async function projectionOf(schoolId: string): Promise<Projection> {
	return { schoolId, g: (await generationOf(schoolId)).current };
}

const id = (p: Projection, ...parts: string[]) => [p.schoolId, String(p.g), ...parts].join("|");

/** Daily counters of each key of a scope over these days (keys with nothing have an empty series). */
export async function seriesOf(p: Projection, scope: Scope, keys: readonly string[], days: readonly string[]): Promise<Map<string, Series>> {
	const months = monthsOf(days);
	const wanted = new Set(days);
	const out = new Map<string, Series>(keys.map(k => [k, new Map()]));
	if (keys.length === 0) return out;
	const docs: any[] = await ReportingBucket.find({ _id: { $in: keys.flatMap(k => months.map(m => id(p, scope, k, m))) } }, { key: 1, d: 1 }).lean();
	for (const doc of docs) {
		const series = out.get(doc.key)!;
		for (const [day, counters] of Object.entries(doc.d ?? {})) if (wanted.has(day)) series.set(day, counters as Counters);
	}
	return out;
}

export async function oneSeries(p: Projection, scope: Scope, key: string, days: readonly string[]): Promise<Series> {
	return (await seriesOf(p, scope, [key], days)).get(key)!;
}

/** Sum of counters over a series. */
export function total(series: Series | undefined): Counters {
	const out: Counters = {};
	// Nested counters (a student's per path) are not summed here: `pathTotal` reads them.
	for (const counters of series?.values() ?? []) for (const [k, v] of Object.entries(counters)) if (typeof v === "number") out[k] = (out[k] ?? 0) + v;
	return out;
}

export const n = (c: Counters | undefined, k: string) => (typeof c?.[k] === "number" ? c[k] : 0);

/** A student's series restricted to one path (the counters their bucket keeps per path). */
export function pathSeries(series: Series, pathId: string): Series {
	const out: Series = new Map();
	for (const [day, c] of series) {
		const nested = (c as any).p?.[pathId];
		if (nested) out.set(day, nested as Counters);
	}
	return out;
}

/** Who was active, per key (day, month or subject|month). */
export async function activeOf(p: Projection, span: "day" | "month" | "subject-month", keys: readonly string[]): Promise<Map<string, { st: string[]; te: string[]; ot: string[] }>> {
	const docs: any[] = keys.length ? await ReportingActivity.find({ _id: { $in: keys.map(k => id(p, "act", span, k)) } }, { key: 1, st: 1, te: 1, ot: 1 }).lean() : [];
	return new Map(docs.map(d => [d.key, { st: d.st ?? [], te: d.te ?? [], ot: d.ot ?? [] }]));
}

export interface ItemRecord {
	n: number;
	k: number;
	ps?: string[];
	h: { t: Date; k: 0 | 1; r: number | null; s: number | null }[];
}

export async function masteryOf(p: Projection, studentIds: readonly string[]): Promise<Map<string, Record<string, ItemRecord>>> {
	const docs: any[] = studentIds.length ? await ReportingMastery.find({ _id: { $in: studentIds.map(s => id(p, s)) } }, { studentId: 1, i: 1 }).lean() : [];
	return new Map(docs.map(d => [d.studentId, d.i ?? {}]));
}

/** Completed steps (step id -> first completion) per `${studentId}|${pathId}`. */
export async function progressOf(p: Projection, pairs: readonly { studentId: string; pathId: string }[]): Promise<Map<string, Record<string, Date>>> {
	const docs: any[] = pairs.length ? await ReportingProgress.find({ _id: { $in: pairs.map(x => id(p, x.studentId, x.pathId)) } }, { studentId: 1, pathId: 1, steps: 1 }).lean() : [];
	return new Map(docs.map(d => [`${d.studentId}|${d.pathId}`, d.steps ?? {}]));
}

export async function schoolProgress(p: Projection): Promise<any[]> {
	return ReportingProgress.find({ schoolId: p.schoolId, g: p.g }, { studentId: 1, pathId: 1, steps: 1 }).lean();
}

export interface ClassInfo {
	classId: string;
	name: string;
	teacherIds: string[];
	studentIds: string[];
}

export async function classesOf(p: Projection): Promise<ClassInfo[]> {
	return (await ReportingClass.find({ schoolId: p.schoolId, g: p.g, removed: false }, { classId: 1, name: 1, teacherIds: 1, studentIds: 1 }).lean()) as any[];
}

export interface PathInfo {
	pathId: string;
	ownerId: string | null;
	name: string;
	subject: string | null;
	status: string | null;
	classIds: string[];
	studentIds: string[];
	stepCount: number;
	itemIds: string[];
}

export async function pathsOf(p: Projection): Promise<PathInfo[]> {
	return (await ReportingPath.find({ schoolId: p.schoolId, g: p.g }, { pathId: 1, ownerId: 1, name: 1, subject: 1, status: 1, classIds: 1, studentIds: 1, stepCount: 1, itemIds: 1 }).lean()) as any[];
}

export async function peopleOf(p: Projection): Promise<{ userId: string; roles: string[]; status: string; createdAt: Date | null }[]> {
	return (await ReportingPerson.find({ schoolId: p.schoolId, g: p.g }, { userId: 1, roles: 1, status: 1, createdAt: 1 }).lean()) as any[];
}

export async function liveSessionsOf(p: Projection, filter: { classId?: string; teacherId?: string }): Promise<any[]> {
	const where: Record<string, unknown> = { schoolId: p.schoolId, g: p.g };
	if (filter.classId) where.classIds = filter.classId;
	if (filter.teacherId) where.teacherId = filter.teacherId;
	return ReportingLiveSession.find(where).sort({ at: 1 }).lean();
}

/** The students a path is assigned to: directly, or through one of its classes. */
export function assignedStudents(path: PathInfo, classes: readonly ClassInfo[]): Set<string> {
	const out = new Set(path.studentIds);
	for (const c of classes) if (path.classIds.includes(c.classId)) for (const s of c.studentIds) out.add(s);
	return out;
}

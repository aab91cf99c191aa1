/**
 * What the feed needs to know of a school to place a fact: its time zone (the register, else the schools
 * service), who attends which class and each path's subject and teacher (this generation's states), and who
 * holds which role (accounts, read by id). Cached briefly per node; a state change this node applies drops
 * the school's cache at once, another node's within STATE_CACHE_MS.
 */
import { ReportingClass } from "../../../models/reporting-class.model.js";
import { ReportingPath } from "../../../models/reporting-path.model.js";
import { ReportingPerson } from "../../../models/reporting-person.model.js";
import { ReportingSchool } from "../../../models/reporting-school.model.js";
import type { FactContext } from "./contributions.js";
import type { Role } from "./facts.js";
import { zoneOrUtc } from "./local-time.js";

const STATE_CACHE_MS = 5000;
const ZONE_CACHE_MS = 60_000;

export type ResolveSchool = (schoolId: string) => Promise<{ name?: string; timezone?: string } | null>;

interface SchoolStates {
	classesOf: Map<string, string[]>;
	paths: Map<string, { subject: string | null; ownerId: string | null }>;
	until: number;
}

const states = new Map<string, SchoolStates>();
const zones = new Map<string, { zone: string; until: number }>();

export function forgetStates(schoolId?: string): void {
	if (!schoolId) {
		states.clear();
		return;
	}
	for (const key of states.keys()) if (key.startsWith(`${schoolId}|`)) states.delete(key);
}

export function forgetZone(schoolId?: string): void {
	if (schoolId) zones.delete(schoolId);
	else zones.clear();
}

/**
 * The school's time zone: asked of its owner (a school admin may change it), remembered for ZONE_CACHE_MS and,
 * by the feed (`remember`; dashboards only read), kept in the register, which answers when the owner cannot.
 */
export async function timeZoneOf(schoolId: string, resolve: ResolveSchool, remember = false): Promise<string> {
	const hit = zones.get(schoolId);
	if (hit && hit.until > Date.now()) return hit.zone;
	const school = await resolve(schoolId).catch(() => null);
	let zone: string | null = school?.timezone ?? null;
	if (zone && remember) {
		await ReportingSchool.updateOne({ _id: schoolId }, { $set: { timezone: zone }, $setOnInsert: { ...(school?.name ? { name: school.name } : {}), status: "active", statusAt: null, lostAt: null } }, { upsert: true });
	} else if (!zone) {
		const doc: any = await ReportingSchool.findById(schoolId, { timezone: 1 }).lean();
		zone = doc?.timezone ?? null;
	}
	const resolved = zoneOrUtc(zone);
	zones.set(schoolId, { zone: resolved, until: Date.now() + ZONE_CACHE_MS });
	return resolved;
}

async function statesOf(schoolId: string, g: number): Promise<SchoolStates> {
	const key = `${schoolId}|${g}`;
	const hit = states.get(key);
	if (hit && hit.until > Date.now()) return hit;
	const [classes, paths] = await Promise.all([
		ReportingClass.find({ schoolId, g, removed: false }, { classId: 1, studentIds: 1 }).lean(),
		ReportingPath.find({ schoolId, g }, { pathId: 1, subject: 1, ownerId: 1 }).lean(),
	]);
	const classesOf = new Map<string, string[]>();
	for (const c of classes as any[]) for (const s of c.studentIds) classesOf.set(s, [...(classesOf.get(s) ?? []), c.classId]);
	for (const list of classesOf.values()) list.sort();
	const loaded: SchoolStates = {
		classesOf,
		paths: new Map((paths as any[]).map(p => [p.pathId, { subject: p.subject ?? null, ownerId: p.ownerId ?? null }])),
		until: Date.now() + STATE_CACHE_MS,
	};
	states.set(key, loaded);
	return loaded;
}

/** The context of a batch's facts of one school and generation; `userIds` are the senders whose role matters. */
export async function factContext(schoolId: string, g: number, timeZone: string, userIds: readonly string[]): Promise<FactContext> {
	const [school, people] = await Promise.all([
		statesOf(schoolId, g),
		userIds.length ? ReportingPerson.find({ _id: { $in: [...new Set(userIds)].map(u => `${schoolId}|${g}|${u}`) } }, { userId: 1, roles: 1 }).lean() : [],
	]);
	const roles = new Map<string, Role>(
		(people as any[]).map(p => [p.userId, p.roles.includes("student") ? "student" : p.roles.includes("teacher") ? "teacher" : "other"]),
	);
	return {
		timeZone,
		classesOf: studentId => school.classesOf.get(studentId) ?? [],
		roleOf: userId => roles.get(userId) ?? "other",
		pathOf: pathId => school.paths.get(pathId),
	};
}

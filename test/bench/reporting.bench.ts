/**
 * `npm run bench:reporting`: a simulated term through the real durable channel, then the dashboards.
 *
 * 1. Seeds a term into the owners' own collections, as the platform would have stored it: schools, classes,
 *    teachers, students, paths over a pool of items, and for each school day each active student's revision
 *    session (its reviews in the memory log), sometimes a question to the AI tutor or a chat message, and the
 *    steps completed. Full size: 1,000 students in 2 schools (40 classes of 25, 20 teachers), 300 items, 90
 *    days; BENCH_SMALL=1: 60 students, 30 items, 14 days. BENCH_STUDENTS and BENCH_DAYS change those two (to look
 *    into one part; the figures to compare are the defaults).
 * 2. Publishes the whole feed through the channel (JetStream when NATS_URL is set, else the in-memory adapter):
 *    the messages the owners publish live, as their export actions replay them. Ingestion is timed from the
 *    first publish until the aggregator has taken every message.
 * 3. Queries the dashboards through HTTP (gateway, JWT, permission middleware) as their users would: a
 *    student's, a class's, its heatmap, the school's, the platform's; p50 and p95 over all requests.
 * 4. Rebuilds both schools from the owners' exports (`reporting:rebuild`'s code) and times it.
 *
 * MONGO_URL is required (a database of its own is created and dropped). Progress on stderr; stdout ends with
 * one JSON line: {"events", "ingest_events_per_s", "dashboard_p50_ms", "dashboard_p95_ms", "rebuild_s", "projection_docs"}.
 */
import { createHash, randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import mongoose from "mongoose";
import { overrideSettings, settings } from "../../config/env.js";
import { createPlatformBroker } from "../../services/platform.js";
import { mapBounded } from "../../services/shared/bounded.js";
import { publishDurable } from "../../services/shared/durable.js";
import type { ExportPage } from "../../services/shared/feed-export.js";
import { systemMeta } from "../../services/shared/identity.js";
import { signAccessToken } from "../../services/shared/tokens.js";
import { EXPORTS, rebuild } from "../../services/reporting/rebuild/rebuild.js";
import { PROJECTION_MODELS } from "../../services/reporting/projection-models.js";

const small = process.env.BENCH_SMALL === "1";
const SIZE = {
	...(small
		? { schools: 1, students: 60, classSize: 20, teachers: 3, items: 30, paths: 3, days: 14, queries: 40 }
		: { schools: 2, students: 1000, classSize: 25, teachers: 20, items: 300, paths: 10, days: 90, queries: 400 }),
	// To look into one part; the figures to compare are the defaults'.
	...(process.env.BENCH_STUDENTS ? { students: Number(process.env.BENCH_STUDENTS) } : {}),
	...(process.env.BENCH_DAYS ? { days: Number(process.env.BENCH_DAYS) } : {}),
};
const log = (line: string) => process.stderr.write(`[bench:reporting] ${line}\n`);

const mongoUrl = process.env.MONGO_URL;
if (!mongoUrl) {
	console.error("MONGO_URL is not set: run `bash .ci/services.sh start` and export what it prints");
	process.exit(1);
}
const dbUrl = new URL(mongoUrl);
dbUrl.pathname = `/lp_bench_reporting_${Date.now().toString(36)}`;

/** A reproducible pseudo-random stream (mulberry32), so two runs simulate the same term. */
function rng(seed: number) {
	return () => {
		seed |= 0;
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}
const random = rng(Number(process.env.BENCH_SEED ?? 20261207));
const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
/** An ObjectId of that time (ids sort like the facts they name, as the platform's do), unique. */
const oid = (at: number = Date.now()) => new mongoose.Types.ObjectId(Math.floor(at / 1000).toString(16).padStart(8, "0") + randomBytes(8).toString("hex"));
const hash24 = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 24);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const round1 = (x: number) => Math.round(x * 10) / 10;

interface SchoolSeed {
	id: mongoose.Types.ObjectId;
	admin: mongoose.Types.ObjectId;
	teachers: mongoose.Types.ObjectId[];
	classes: { id: mongoose.Types.ObjectId; teacher: mongoose.Types.ObjectId; students: mongoose.Types.ObjectId[]; path: number }[];
	students: mongoose.Types.ObjectId[];
	paths: { id: mongoose.Types.ObjectId; owner: mongoose.Types.ObjectId; steps: { id: mongoose.Types.ObjectId; items: mongoose.Types.ObjectId[] }[] }[];
}

async function seed(db: mongoose.mongo.Db): Promise<{ schools: SchoolSeed[]; root: mongoose.Types.ObjectId }> {
	const end = Date.now() - 3600_000;
	const start = end - SIZE.days * 86_400_000;
	const items = Array.from({ length: SIZE.items }, () => oid(start));
	const root = oid(start);
	const users: any[] = [{ _id: root, schoolId: null, loginKey: `email:root-${root}@bench`, usernameKey: `id:${root}`, passwordHash: "x", firstName: "Root", lastName: "Admin", roles: ["platform_admin"], status: "active", emailVerified: true, createdAt: new Date(start), updatedAt: new Date(start) }];
	const schools: SchoolSeed[] = [];
	const counts = { reviews: 0, sessions: 0, ai: 0, messages: 0 };
	for (let s = 0; s < SIZE.schools; s++) {
		const id = oid(start);
		const person = (role: string, i: number) => {
			const _id = oid(start);
			users.push({ _id, schoolId: id, loginKey: `user:${id}:${role}${i}`, usernameKey: `user:${id}:${role}${i}`, username: `${role}${i}`, passwordHash: "x", firstName: role, lastName: String(i), roles: [role], status: "active", emailVerified: true, createdAt: new Date(start), updatedAt: new Date(start) });
			return _id;
		};
		const admin = person("school_admin", 0);
		const teachers = Array.from({ length: Math.max(1, Math.round(SIZE.teachers / SIZE.schools)) }, (_, i) => person("teacher", i));
		const students = Array.from({ length: Math.round(SIZE.students / SIZE.schools) }, (_, i) => person("student", i));
		const perPath = Math.max(5, Math.floor(SIZE.items / SIZE.paths));
		const paths = Array.from({ length: Math.max(1, Math.round(SIZE.paths / SIZE.schools)) }, (_, p) => ({
			id: oid(start),
			owner: teachers[p % teachers.length],
			steps: Array.from({ length: 3 }, (_, k) => ({ id: oid(start), items: items.slice((p * perPath + k * Math.floor(perPath / 3)) % items.length, (p * perPath + (k + 1) * Math.floor(perPath / 3)) % items.length || undefined) })),
		}));
		const classes: SchoolSeed["classes"] = [];
		for (let c = 0; c * SIZE.classSize < students.length; c++) {
			classes.push({ id: oid(start), teacher: teachers[c % teachers.length], students: students.slice(c * SIZE.classSize, (c + 1) * SIZE.classSize), path: c % paths.length });
		}
		schools.push({ id, admin, teachers, classes, students, paths });
		await db.collection("schools").insertOne({ _id: id, name: `Bench school ${s + 1}`, code: `BENCH${s}${randomBytes(2).toString("hex")}`.toUpperCase(), timezone: s % 2 ? "America/New_York" : "Europe/Paris", status: "active", settings: {}, createdAt: new Date(start), updatedAt: new Date(start) });
		await db.collection("classes").insertMany(classes.map((c, i) => ({ _id: c.id, schoolId: id, name: `Class ${i + 1}`, teacherIds: [c.teacher], studentIds: c.students, createdAt: new Date(start), updatedAt: new Date(start) })));
		await db.collection("learningpaths").insertMany(
			paths.map((p, i) => ({ _id: p.id, schoolId: id, ownerId: p.owner, name: `Path ${i + 1}`, subject: ["Geography", "History", "Biology"][i % 3], status: "active", objectives: [], classIds: classes.filter(c => c.path === i).map(c => c.id), studentIds: [], settings: {}, steps: p.steps.map((st, k) => ({ id: String(st.id), title: `Step ${k + 1}`, itemIds: st.items.map(String) })), createdAt: new Date(start), updatedAt: new Date(start) })),
		);
		const conversations = classes.map(c => ({ _id: oid(start), schoolId: id, kind: "class", key: `class:${c.id}`, memberIds: [c.teacher, ...c.students], members: [], createdAt: new Date(start), updatedAt: new Date(start) }));
		await db.collection("conversations").insertMany(conversations);

		// The term, day by day: each active student's session, its reviews, sometimes a question or a message.
		const seen = new Map<string, number>();
		for (let d = 0; d < SIZE.days; d++) {
			const logs: any[] = [];
			const sessions: any[] = [];
			const ai: any[] = [];
			const messages: any[] = [];
			for (const [ci, cls] of classes.entries()) {
				const path = paths[cls.path];
				for (const student of cls.students) {
					if (random() > 0.5) continue;
					const begin = start + d * 86_400_000 + 8 * 3600_000 + Math.floor(random() * 10 * 3600_000);
					const count = small ? 3 + Math.floor(random() * 4) : 4 + Math.floor(random() * 9);
					const step = pick(path.steps);
					let correct = 0;
					for (let r = 0; r < count; r++) {
						const item = pick(step.items.length ? step.items : path.steps[0].items);
						const key = `${student}:${item}`;
						const reps = seen.get(key) ?? 0;
						seen.set(key, reps + 1);
						const right = random() < 0.55 + Math.min(0.35, reps * 0.08);
						if (right) correct++;
						const at = new Date(begin + r * 20_000);
						logs.push({ _id: new mongoose.Types.ObjectId(hash24(`review-log:${id}:${student}:${d}:${r}`)), schoolId: id, reviewKey: `${student}:${d}:${r}`, studentId: student, itemId: item, pathId: path.id, teacherId: path.owner, subject: "Geography", rating: right ? 3 : 1, responseTimeMs: 3000 + Math.floor(random() * 9000), correct: right, source: "solo", counted: true, first: reps === 0, reviewedAt: at, elapsedDays: 1, retrievability: 0.5 + random() * 0.45, scheduledDays: 1, before: reps ? { reps } : null, after: { stability: 1 + reps * 2 + random() * 3, reps: reps + 1 }, createdAt: at, updatedAt: at });
					}
					const endedAt = new Date(begin + count * 20_000);
					sessions.push({ _id: oid(endedAt.getTime()), schoolId: id, studentId: student, pathId: path.id, stepId: String(step.id), teacherId: path.owner, subject: "Geography", mode: "normal", liveSessionId: null, status: "completed", queue: [], answers: [], startedAt: new Date(begin), lastActivityAt: endedAt, endedAt, summary: { score: correct / count, successRate: correct / count, timeSpentMs: count * 20_000, answered: count, correct }, createdAt: endedAt, updatedAt: endedAt });
					if (random() < 0.1) {
						const at = new Date(endedAt.getTime() + 60_000);
						ai.push({ _id: oid(at.getTime()), schoolId: id, studentId: student, teacherId: path.owner, pathId: path.id, classIds: [cls.id], subject: "Geography", question: "Why?", answer: "Because.", mode: "extractive", chunks: [], promptTokens: 0, completionTokens: 0, latencyMs: 10, complexity: { level: 1 + Math.floor(random() * 6), name: "x", source: "heuristic" }, flags: [], guards: [], createdAt: at, updatedAt: at });
					}
					if (random() < 0.15) {
						const at = new Date(endedAt.getTime() + 120_000);
						messages.push({ _id: oid(at.getTime()), schoolId: id, conversationId: conversations[ci]._id, senderId: student, clientId: randomBytes(6).toString("hex"), text: "See you in class", reports: [], reportedAt: null, createdAt: at, updatedAt: at });
					}
				}
			}
			if (logs.length) await db.collection("reviewlogs").insertMany(logs, { ordered: false });
			if (sessions.length) await db.collection("revisionsessions").insertMany(sessions, { ordered: false });
			if (ai.length) await db.collection("aiinteractions").insertMany(ai, { ordered: false });
			if (messages.length) await db.collection("messages").insertMany(messages, { ordered: false });
			counts.reviews += logs.length;
			counts.sessions += sessions.length;
			counts.ai += ai.length;
			counts.messages += messages.length;
		}
		// Steps completed over the term: each student some of their path's steps.
		const progress = classes.flatMap(c =>
			c.students.map(student => {
				const done = Math.floor(random() * 4);
				return { _id: oid(start), schoolId: id, studentId: student, pathId: paths[c.path].id, steps: paths[c.path].steps.slice(0, done).map((st, k) => ({ stepId: String(st.id), completed: true, completedAt: new Date(start + ((k + 1) * SIZE.days * 86_400_000) / 4), sessions: 1, lastScore: 0.8, bestScore: 0.8, timeSpentMs: 60_000 })), recordedIds: [], sessions: 1, timeSpentMs: 0, lastActivityAt: new Date(end), createdAt: new Date(end), updatedAt: new Date(end) };
			}),
		);
		await db.collection("pathprogresses").insertMany(progress);
		log(`school ${s + 1}: ${students.length} students, ${classes.length} classes, ${counts.reviews} reviews so far`);
	}
	await db.collection("users").insertMany(users, { ordered: false });
	log(`seeded: ${JSON.stringify(counts)}`);
	return { schools, root };
}

async function main(): Promise<void> {
	const namespace = `bench-rep-${randomBytes(3).toString("hex")}`;
	overrideSettings({ mongoUrl: dbUrl.toString(), port: 0, realtimePort: 0, logLevel: "none", namespace, communicationTickCron: "off", jwtSecret: randomBytes(32).toString("hex") });
	log(`channel: ${settings().natsUrl ? `NATS JetStream (${settings().natsUrl}, namespace ${namespace})` : "in memory (NATS_URL unset)"}; size ${JSON.stringify(SIZE)}`);
	const services = ["api", "schools", "users", "classes", "subscriptions", "content", "paths", "memory", "revisions", "evaluations", "progress", "conversations", "visio", "aiTutor", "aiGeneration", "invoices", "reportingFeed", "reporting"];
	const broker = await createPlatformBroker(services, { nodeID: `bench-reporting-${process.pid}` });
	await broker.start();
	clearInterval((broker.getLocalService("revisions") as any)?.expireTimer);
	const db = mongoose.connection.db!;
	try {
		const t0 = performance.now();
		const { schools, root } = await seed(db);
		log(`seeding took ${round1((performance.now() - t0) / 1000)} s`);

		// The feed, as the owners replay it: every message their live feed carried.
		const feed: { channel: string; message: any }[] = [];
		for (const school of schools) {
			for (const action of ["schools.export", ...EXPORTS]) {
				for (let after: string | null = null; ; ) {
					const page = (await broker.call(action, { schoolId: String(school.id), limit: 1000, ...(after ? { after } : {}) }, { meta: systemMeta() })) as ExportPage;
					feed.push(...page.rows);
					if (!page.next) break;
					after = page.next;
				}
			}
		}
		log(`feed: ${feed.length} messages; publishing through the channel`);
		const feedService: any = broker.getLocalService("reportingFeed");
		const taken = () => feedService.totals.messages as number;
		const before = taken();
		const t1 = performance.now();
		let published = 0;
		await mapBounded(feed, 256, async row => {
			await publishDurable(broker, row.channel, row.message);
			if (++published % 50_000 === 0) log(`published ${published}/${feed.length}, aggregated ${taken() - before} (${round1(published / ((performance.now() - t1) / 1000))}/s)`);
		});
		const publishedS = (performance.now() - t1) / 1000;
		log(`published in ${round1(publishedS)} s; waiting for the aggregator`);
		let lastLog = performance.now();
		while (taken() - before < feed.length) {
			await new Promise(r => setTimeout(r, 100));
			if (performance.now() - lastLog > 5000) {
				log(`aggregated ${taken() - before}/${feed.length}`);
				lastLog = performance.now();
			}
		}
		await broker.call("reportingFeed.idle", {}, { meta: systemMeta() });
		const ingestS = (performance.now() - t1) / 1000;
		log(`ingested ${feed.length} messages in ${round1(ingestS)} s (${Math.round(feed.length / ingestS)}/s; counted facts ${feedService.totals.counted}, ${feedService.totals.batches} batches)`);

		// Dashboards through HTTP, as their users.
		const base = `http://127.0.0.1:${((broker.getLocalService("api") as any).server.address() as AddressInfo).port}`;
		const token = async (id: unknown, schoolId: unknown, roles: string[]) => (await signAccessToken({ id: String(id), schoolId: schoolId ? String(schoolId) : null, roles: roles as any })).token;
		const rootToken = await token(root, null, ["platform_admin"]);
		const requests: { name: string; path: string; token: string }[] = [];
		for (let q = 0; q < SIZE.queries; q++) {
			const school = pick(schools);
			const cls = pick(school.classes);
			const kind = q % 5;
			if (kind === 0) {
				const student = pick(cls.students);
				requests.push({ name: "student", path: `/api/reporting/students/${student}`, token: await token(student, school.id, ["student"]) });
			} else if (kind === 1) requests.push({ name: "class", path: `/api/reporting/classes/${cls.id}`, token: await token(cls.teacher, school.id, ["teacher"]) });
			else if (kind === 2) requests.push({ name: "heatmap", path: `/api/reporting/classes/${cls.id}/heatmap`, token: await token(cls.teacher, school.id, ["teacher"]) });
			else if (kind === 3) requests.push({ name: "school", path: `/api/reporting/school`, token: await token(school.admin, school.id, ["school_admin"]) });
			else requests.push({ name: "student-by-teacher", path: `/api/reporting/students/${pick(cls.students)}?from=${new Date(Date.now() - 89 * 86_400_000).toISOString().slice(0, 10)}`, token: await token(cls.teacher, school.id, ["teacher"]) });
		}
		requests.push({ name: "platform", path: "/api/reporting/platform", token: rootToken });
		// One of each first, unmeasured: the first request of a kind warms the code paths and the caches.
		for (const r of [...new Map(requests.map(r => [r.name, r])).values()]) await (await fetch(base + r.path, { headers: { authorization: `Bearer ${r.token}` } })).arrayBuffer();
		const latencies: number[] = [];
		const byName = new Map<string, number[]>();
		for (const r of requests) {
			const t = performance.now();
			const res = await fetch(base + r.path, { headers: { authorization: `Bearer ${r.token}` } });
			await res.arrayBuffer();
			const ms = performance.now() - t;
			if (res.status !== 200) throw new Error(`${r.path}: ${res.status}`);
			latencies.push(ms);
			byName.set(r.name, [...(byName.get(r.name) ?? []), ms]);
		}
		latencies.sort((a, b) => a - b);
		for (const [name, ms] of byName) {
			ms.sort((a, b) => a - b);
			log(`dashboard ${name}: ${ms.length} requests, p50 ${round1(percentile(ms, 50))} ms, p95 ${round1(percentile(ms, 95))} ms`);
		}

		// Rebuild from the owners' exports.
		const t2 = performance.now();
		const reports = await rebuild(broker, { settleMs: 300, onProgress: p => p.done % 20_000 < 1000 && log(`rebuild ${p.schoolId}: ${p.done}/${p.total} ${p.stage}`) });
		const rebuildS = (performance.now() - t2) / 1000;
		log(`rebuilt ${reports.length} school(s), ${reports.reduce((a, r) => a + r.records, 0)} records, in ${round1(rebuildS)} s`);

		const counts = await Promise.all(PROJECTION_MODELS.map(async m => [m.modelName, await m.collection.estimatedDocumentCount()] as const));
		log(`projection documents: ${counts.map(([n, c]) => `${n} ${c}`).join(", ")}`);
		const projectionDocs = counts.filter(([n]) => n !== "ReportingMarker").reduce((a, [, c]) => a + c, 0);
		console.log(
			JSON.stringify({
				events: feed.length,
				ingest_events_per_s: Math.round(feed.length / ingestS),
				dashboard_p50_ms: round1(percentile(latencies, 50)),
				dashboard_p95_ms: round1(percentile(latencies, 95)),
				rebuild_s: round1(rebuildS),
				projection_docs: projectionDocs,
			}),
		);
	} finally {
		await db.dropDatabase().catch(() => undefined);
		await broker.stop();
		await dropStreams(namespace).catch(err => log(`could not delete the run's JetStream streams: ${err?.message ?? err}`));
	}
}

/** The JetStream streams this run's namespace created (one per channel): gone with the run. */
async function dropStreams(namespace: string): Promise<void> {
	const url = settings().natsUrl;
	if (!url) return;
	const { connect } = await import("nats");
	const nc = await connect({ servers: url });
	try {
		const jsm = await nc.jetstreamManager();
		for await (const stream of jsm.streams.list()) if (stream.config.name.startsWith(namespace.replace(/\./g, "_"))) await jsm.streams.delete(stream.config.name);
	} finally {
		await nc.close();
	}
}

main().then(
	() => process.exit(0),
	err => {
		console.error(err);
		process.exit(1);
	},
);

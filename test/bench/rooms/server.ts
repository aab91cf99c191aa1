/**
 * The bench's server process: the whole platform in one process (every service, an in-process broker,
 * the Colyseus server) on its own database, plus a bare `ws` server (the baseline) in the same process.
 * It seeds the data the load needs through the services' own actions, acting as the system principal
 * or as the school's users (the identity the gateway would set from their JWT), mints their access
 * tokens the way login does after checking a password, and answers the orchestrator's stats requests.
 *
 * Accounts are made with `users.createAccount` (one scrypt hash each, about 50 ms of a core): the one
 * slow part of the setup, run 16 at a time.
 */
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { overrideSettings } from "../../../config/env.js";
import { createPlatformBroker } from "../../../services/platform.js";
import { systemMeta } from "../../../services/shared/identity.js";
import { signAccessToken } from "../../../services/shared/tokens.js";
import type { BenchConfig, SeedPlan } from "./protocol.js";
import { mapBounded } from "../../../services/shared/bounded.js";
import { prepareDbTrace } from "./db-trace.js";

const send = (message: unknown) => process.send!(message);
const log = (line: string) => process.stderr.write(`[server] ${line}\n`);


function bareServer(): Promise<number> {
	const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
	const groups = new Map<string, Set<WebSocket>>();
	wss.on("connection", ws => {
		ws.on("message", raw => {
			const text = raw.toString();
			const msg = JSON.parse(text);
			if (msg.join !== undefined) {
				let set = groups.get(msg.join);
				if (!set) groups.set(msg.join, (set = new Set()));
				set.add(ws);
				ws.on("close", () => set!.delete(ws));
				ws.send(JSON.stringify({ joined: msg.join }));
			} else if (msg.cast !== undefined) {
				// The same work a room does for a broadcast: one encoding, sent to every member.
				for (const member of groups.get(msg.cast) ?? []) member.send(text);
			}
		});
	});
	return new Promise(resolve => wss.on("listening", () => resolve((wss.address() as AddressInfo).port)));
}

async function seed(broker: any, config: BenchConfig): Promise<SeedPlan> {
	const suffix = randomBytes(4).toString("hex");
	const password = "bench password 1234";
	const signup: any = await broker.call("schools.signup", {
		school: { name: `Bench ${suffix}`, timezone: "Europe/Paris" },
		admin: { email: `bench-admin-${suffix}@bench.test`, password, firstName: "Bench", lastName: "Admin" },
	});
	const schoolId = signup.school.id;
	const staff = { id: randomBytes(12).toString("hex"), schoolId: null, roles: ["platform_admin"] };
	await broker.call("subscriptions.changePlan", { id: schoolId, plan: "campus", seatLimit: 100_000 }, { meta: { user: staff } });
	const inSchool = { meta: { user: { id: "system", schoolId, roles: ["system"] } } };
	const account = (role: string, i: number) =>
		broker.call(
			"users.createAccount",
			{ schoolId, email: `bench-${role}-${i}-${suffix}@bench.test`, password, firstName: role, lastName: String(i), roles: [role], emailVerified: true, announce: false },
			inSchool,
		);
	const teacher: any = await account("teacher", 0);
	const studentCount = Math.max(config.sessions * config.studentsPerSession, config.chatClients / 2);
	const started = Date.now();
	const students: any[] = await mapBounded(Array.from({ length: studentCount }), 16, (_, i) => account("student", i));
	log(`${studentCount} student accounts in ${((Date.now() - started) / 1000).toFixed(1)} s`);
	const asAdmin = { meta: { user: { id: signup.admin.id, schoolId, roles: ["school_admin"] } } };
	const asTeacher = { meta: { user: { id: teacher.id, schoolId, roles: ["teacher"] } } };
	const classIds: string[] = [];
	for (let c = 0; c < Math.ceil(studentCount / config.studentsPerSession); c++) {
		const members = students.slice(c * config.studentsPerSession, (c + 1) * config.studentsPerSession).map(s => s.id);
		const cls: any = await broker.call("classes.create", { name: `Bench class ${c}`, teacherIds: [teacher.id], studentIds: members }, asAdmin);
		classIds.push(cls.id);
	}
	const bodies = [
		{ kind: "single_choice", title: "Sea", subject: "Geography", prompt: "Which one is a sea?", choices: [{ id: "baltic", text: "Baltic", correct: true }, { id: "alps", text: "Alps", correct: false }] },
		{ kind: "true_false", title: "Earth", subject: "Geography", prompt: "The Earth is flat.", answer: false },
		{ kind: "short_answer", title: "Capital", subject: "Geography", prompt: "Capital of France?", accepted: ["Paris"] },
		{ kind: "numeric", title: "Everest", subject: "Geography", prompt: "Height of Everest (m)?", value: 8849, tolerance: 10 },
	].slice(0, config.questions);
	const itemIds: string[] = [];
	for (const body of bodies) {
		const item: any = await broker.call("content.create", body, asTeacher);
		await broker.call("content.setStatus", { id: item.id, status: "validated" }, asTeacher);
		itemIds.push(item.id);
	}
	// A path per class: a path lists its students in one call (at most 1,000), and a class per session is the real shape.
	const sessions = [];
	for (let g = 0; g < config.sessions; g++) {
		const path: any = await broker.call("paths.create", { name: `Bench path ${g}`, subject: "Geography", classIds: [classIds[g]], activate: true, steps: [{ title: "Live", itemIds }] }, asTeacher);
		const stepId = (await broker.call("paths.get", { id: path.id }, asTeacher)).steps[0].id;
		const live: any = await broker.call("liveSessions.create", { classId: classIds[g], pathId: path.id, stepId, questionCount: config.questions, timeLimitSeconds: 120 }, asTeacher);
		const members = students.slice(g * config.studentsPerSession, (g + 1) * config.studentsPerSession).map((_, k) => g * config.studentsPerSession + k);
		sessions.push({ roomId: live.roomId, students: members });
	}
	const conversations = await mapBounded(Array.from({ length: config.chatClients / 2 }), 16, async (_, i) => {
		const conv: any = await broker.call("conversations.open", { userId: teacher.id }, { meta: { user: { id: students[i].id, schoolId, roles: ["student"] } } });
		return { id: conv.id, student: i };
	});
	const tokenOf = async (id: string, role: string) => (await signAccessToken({ id, schoolId, roles: [role as any] })).token;
	mintTokens = async () => ({
		teacherToken: await tokenOf(teacher.id, "teacher"),
		students: await mapBounded(students, 64, async s => ({ id: s.id, token: await tokenOf(s.id, "student") })),
	});
	return { ...(await mintTokens()), sessions, conversations };
}

/** Fresh access tokens for every account of the plan, as a login would give (they live 15 minutes). */
let mintTokens: () => Promise<Pick<SeedPlan, "teacherToken" | "students">>;

async function main() {
	const config: BenchConfig = JSON.parse(process.env.BENCH_CONFIG!);
	overrideSettings({
		mongoUrl: process.env.BENCH_DB_URL!,
		natsUrl: undefined,
		redisUrl: undefined,
		port: 0,
		realtimePort: 0,
		logLevel: "error",
	});
	const tracing = prepareDbTrace(process.env.BENCH_TRACE_DB === "1");
	const broker: any = await createPlatformBroker(undefined, { nodeID: `bench-rooms-${process.pid}` });
	await broker.start();
	const realtimePort = broker.getLocalService("realtime").port;
	const barePort = await bareServer();
	const plan = await seed(broker, config);
	const trace = tracing.attach();
	process.on("message", async (msg: any) => {
		if (msg?.type === "stats") {
			// Two full collections (the second reaps what the first's finalizers released), then a tick for the
			// sockets' buffers to be freed: what is left is what the server holds, not garbage waiting.
			const gc = (globalThis as any).gc as (() => void) | undefined;
			if (!gc) log("no --expose-gc: memory figures include garbage");
			gc?.();
			await new Promise(r => setImmediate(r));
			gc?.();
			const seen = trace.flush();
			if (seen) log(`database commands since the previous mark:\n   ${seen}`);
			const mem = process.memoryUsage();
			send({ type: "stats", id: msg.id, rss: mem.rss, heap: mem.heapUsed, external: mem.external, cpu: process.cpuUsage(), at: performance.now() });
		} else if (msg?.type === "tokens") {
			send({ type: "tokens", id: msg.id, ...(await mintTokens()) });
		} else if (msg?.type === "stop") {
			await broker.stop().catch(() => undefined);
			process.exit(0);
		}
	});
	send({ type: "ready", realtimePort, barePort, plan });
}

main().catch(err => {
	log(`failed: ${err?.stack ?? err}`);
	process.exit(1);
});

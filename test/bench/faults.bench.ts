/**
 * `npm run bench:faults`: load with a kill (issue 16), bounded and on loopback. A group session of 200
 * students (and their teacher) and 200 chat clients (100 student–teacher conversations, both ends
 * connected) run on two realtime processes sharing Redis, the services on a third node, all over NATS.
 * In the middle of the second question, the realtime process hosting the group session is killed
 * (SIGKILL). Clients behave as the documented client does: the SDK tries to reconnect twice, then the
 * group clients ask `POST /api/live-sessions/join` for the session's room and join it on the surviving
 * process, re-sending the answer not yet acknowledged (same client id); chat clients join their
 * conversation again and re-send what was not acknowledged. The teacher resumes and runs the session to
 * its end. Counted: answers sent, acknowledged and stored (LiveAnswer and RevisionSession rows), chat
 * messages sent, acknowledged and stored, acknowledged ones lost, duplicates; and how long recovery took.
 *
 * BENCH_SMALL=1: 20 students, 20 chat clients, 3 questions. BENCH_STUDENTS / BENCH_CHAT_CLIENTS override.
 * Uses NATS_URL, REDIS_URL and MONGO_URL (a database and a namespace of its own, removed at the end).
 * Progress goes to stderr; stdout ends with one JSON line.
 */
import { Client, type Room } from "@colyseus/sdk";
import { MongoClient, ObjectId } from "mongodb";
import { ServiceBroker } from "moleculer";
import { overrideSettings } from "../../config/env.js";
import { mapBounded } from "../../services/shared/bounded.js";
import { signAccessToken } from "../../services/shared/tokens.js";
import { FaultCluster } from "../support/faults.js";
import { percentile } from "./rooms/protocol.js";

const small = process.env.BENCH_SMALL === "1";
const STUDENTS = Number(process.env.BENCH_STUDENTS ?? (small ? 20 : 200));
const CHAT_CLIENTS = Number(process.env.BENCH_CHAT_CLIENTS ?? (small ? 20 : 200));
const QUESTIONS = small ? 3 : 4;
const MESSAGES_PER_CHAT_STUDENT = small ? 4 : 6;
const ANSWER_SPREAD_MS = small ? 1500 : 4000;
const log = (line: string) => process.stderr.write(`[bench:faults] ${line}\n`);
// The SDK narrates its reconnection attempts on console.info: hundreds of clients, one line each.
console.info = () => undefined;
console.warn = () => undefined;

const withTimeout = <T>(p: Promise<T>, ms: number, what: string) =>
	Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms))]);
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

const cluster = new FaultCluster("bfault");
let seeder: ServiceBroker | undefined;

async function main() {
	const started = Date.now();
	await cluster.startNodes(
		[
			{ name: "services", services: "all,-realtime", gateway: true },
			{ name: "realtime-a", services: "realtime", realtime: "a" },
			{ name: "realtime-b", services: "realtime", realtime: "b" },
		],
		{ LIVE_TEACHER_GRACE_SECONDS: "600", LIVE_RECONNECT_SECONDS: "5", LOG_LEVEL: process.env.BENCH_DEBUG ? "warn" : "error" },
	);
	log(`cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
	// A broker of this process on the same NATS, acting as the system principal to seed (as bench:rooms does in-process).
	overrideSettings({ jwtSecret: cluster.env.JWT_SECRET });
	// Same heartbeats as the platform's nodes (moleculer.config.ts), or they would take it for dead.
	seeder = new ServiceBroker({ namespace: cluster.env.NAMESPACE, nodeID: `seeder-${process.pid}`, transporter: { type: "NATS", options: { url: cluster.env.NATS_URL } }, logger: false, requestTimeout: 60_000, heartbeatInterval: 2, heartbeatTimeout: 6 });
	await seeder.start();
	await seeder.waitForServices(["users", "schools", "classes", "content", "paths", "liveSessions", "conversations", "subscriptions"], 60_000);
	const b = seeder;

	// --- seed: one school, a teacher, students in one class, a path, the session, conversations ---
	const password = "bench password 1234";
	const suffix = Date.now().toString(36);
	const signup: any = await b.call("schools.signup", { school: { name: `Faults ${suffix}`, timezone: "Europe/Paris" }, admin: { email: `bf-admin-${suffix}@bench.test`, password, firstName: "A", lastName: "Dmin" } });
	const schoolId = signup.school.id;
	await b.call("subscriptions.changePlan", { id: schoolId, plan: "campus", seatLimit: 100_000 }, { meta: { user: { id: "0".repeat(24), schoolId: null, roles: ["platform_admin"] } } });
	const inSchool = { meta: { user: { id: "system", schoolId, roles: ["system"] } } };
	const account = (role: string, i: number): Promise<any> =>
		b.call("users.createAccount", { schoolId, email: `bf-${role}-${i}-${suffix}@bench.test`, password, firstName: role, lastName: String(i), roles: [role], emailVerified: true, announce: false }, inSchool);
	const teacher = await account("teacher", 0);
	const studentCount = Math.max(STUDENTS, CHAT_CLIENTS / 2);
	const t0 = Date.now();
	const students: any[] = await mapBounded(Array.from({ length: studentCount }), 8, (_, i) => account("student", i));
	log(`${studentCount} student accounts in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
	const asAdmin = { meta: { user: { id: signup.admin.id, schoolId, roles: ["school_admin"] } } };
	const asTeacher = { meta: { user: { id: teacher.id, schoolId, roles: ["teacher"] } } };
	const cls: any = await b.call("classes.create", { name: "Faults class", teacherIds: [teacher.id], studentIds: students.map(s => s.id) }, asAdmin);
	const bodies = [
		{ kind: "single_choice", title: "Sea", subject: "Geography", prompt: "Which one is a sea?", choices: [{ id: "baltic", text: "Baltic", correct: true }, { id: "alps", text: "Alps", correct: false }] },
		{ kind: "true_false", title: "Earth", subject: "Geography", prompt: "The Earth is flat.", answer: false },
		{ kind: "short_answer", title: "Capital", subject: "Geography", prompt: "Capital of France?", accepted: ["Paris"] },
		{ kind: "numeric", title: "Everest", subject: "Geography", prompt: "Height of Everest (m)?", value: 8849, tolerance: 10 },
	].slice(0, QUESTIONS);
	const rightOf: Record<string, unknown> = {};
	const rights = [{ choiceId: "baltic" }, { value: false }, { text: "Paris" }, { value: 8849 }];
	const itemIds: string[] = [];
	for (const [i, body] of bodies.entries()) {
		const item: any = await b.call("content.create", body, asTeacher);
		await b.call("content.setStatus", { id: item.id, status: "validated" }, asTeacher);
		itemIds.push(item.id);
		rightOf[item.id] = rights[i];
	}
	const path: any = await b.call("paths.create", { name: "Faults path", subject: "Geography", classIds: [cls.id], activate: true, steps: [{ title: "Live", itemIds }] }, asTeacher);
	const stepId = ((await b.call("paths.get", { id: path.id }, asTeacher)) as any).steps[0].id;
	const live: any = await b.call("liveSessions.create", { classId: cls.id, pathId: path.id, stepId, questionCount: QUESTIONS, timeLimitSeconds: 120 }, asTeacher);
	const chatStudents = students.slice(0, CHAT_CLIENTS / 2);
	const conversations: string[] = await mapBounded(chatStudents, 8, async s => ((await b.call("conversations.open", { userId: teacher.id }, { meta: { user: { id: s.id, schoolId, roles: ["student"] } } })) as any).id);
	const tokenOf = async (id: string, role: string) => (await signAccessToken({ id, schoolId, roles: [role as any] })).token;
	const teacherToken = await tokenOf(teacher.id, "teacher");
	const studentTokens = await mapBounded(students, 32, s => tokenOf(s.id, "student"));
	log(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);

	const sdk = (port: number, token: string) => {
		const c = new Client(`ws://127.0.0.1:${port}`);
		c.auth.token = token;
		return c;
	};
	const tame = (room: Room) => {
		// Two quick tries (a network blip), then the client falls back to asking for the room again.
		room.reconnection.maxRetries = 2;
		room.reconnection.minUptime = 0;
		room.reconnection.maxDelay = 300;
		for (const type of ["*"]) room.onMessage(type, () => undefined);
		return room;
	};
	const ports = [cluster.portA, cluster.portB];
	const portOf = (room: Room) => Number(new URL((room as any).connection.url).port);

	// --- group clients ---
	interface GroupClient { i: number; room?: Room; acked: Set<string>; pending?: { questionIndex: number; clientId: string; answer: unknown }; rejoinedAt?: number; leftAt?: number }
	const groupAcked = new Set<string>();
	const answersSent = new Set<string>();
	let currentQuestion: any;
	let killedAt = 0;
	const group: GroupClient[] = students.slice(0, STUDENTS).map((_, i) => ({ i, acked: new Set() }));
	let roomId = live.roomId as string;

	const errors: Record<string, number> = {};
	const wireGroup = (c: GroupClient, room: Room) => {
		c.room = tame(room);
		room.onMessage("error", (e: any) => {
			const key = `${e?.type}: ${e?.message}`;
			if (!errors[key] && process.env.BENCH_DEBUG) log(`first error ${key} ${JSON.stringify(e).slice(0, 300)} q=${currentQuestion?.index}`);
			errors[key] = (errors[key] ?? 0) + 1;
		});
		room.onMessage("answered", (m: any) => {
			if (process.env.BENCH_DEBUG && !groupAcked.size) log(`first ack ${JSON.stringify(m)}`);
			c.acked.add(m.clientId);
			groupAcked.add(m.clientId);
			if (c.pending?.clientId === m.clientId) c.pending = undefined;
		});
		room.onMessage("question", (q: any) => (currentQuestion = q));
		room.onLeave(() => {
			if (!killedAt) return;
			c.leftAt = Date.now();
			void rejoinGroup(c);
		});
	};
	const rejoinGroup = async (c: GroupClient) => {
		for (let attempt = 0; attempt < 60; attempt++) {
			try {
				const res = await fetch(`${cluster.base}/api/live-sessions/join`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${studentTokens[c.i]}` }, body: JSON.stringify({ code: live.joinCode }), signal: AbortSignal.timeout(30_000) });
				const body: any = await res.json();
				if (res.status !== 200) throw new Error(`${res.status}`);
				const survivor = ports.find(p => p !== killedPort)!;
				const room = await withTimeout(sdk(survivor, studentTokens[c.i]).joinById(body.roomId), 30_000, "join");
				wireGroup(c, room);
				c.rejoinedAt = Date.now();
				if (c.pending) room.send("answer", c.pending);
				return;
			} catch {
				await sleep(250 + Math.random() * 250);
			}
		}
	};
	let killedPort = 0;

	const teacherRoom = tame(await sdk(cluster.portA, teacherToken).joinById(roomId));
	const hostPort = portOf(teacherRoom);
	let teacherLive: Room = teacherRoom;
	await mapBounded(group, 16, async (c, k) => wireGroup(c, await sdk(ports[k % 2], studentTokens[c.i]).joinById(roomId)));
	log(`${group.length} students and the teacher in the session's room (on port ${hostPort})`);

	// --- chat clients: each student of the first half and the teacher, both ends of each conversation ---
	interface ChatEnd { token: string; conversationId: string; room?: Room; sent: Map<string, string>; acked: Set<string>; student: boolean; rejoinedAt?: number; leftAt?: number }
	const chat: ChatEnd[] = [];
	conversations.forEach((conversationId, k) => {
		chat.push({ token: studentTokens[k], conversationId, sent: new Map(), acked: new Set(), student: true });
		chat.push({ token: teacherToken, conversationId, sent: new Map(), acked: new Set(), student: false });
	});
	const wireChat = (c: ChatEnd, room: Room) => {
		c.room = tame(room);
		room.onMessage("sent", (m: any) => c.acked.add(m.clientId));
		room.onLeave(() => {
			if (!killedAt) return;
			c.leftAt = Date.now();
			void rejoinChat(c);
		});
	};
	const rejoinChat = async (c: ChatEnd) => {
		for (let attempt = 0; attempt < 60; attempt++) {
			try {
				const survivor = ports.find(p => p !== killedPort)!;
				const room = await withTimeout(sdk(survivor, c.token).joinOrCreate("chat", { conversationId: c.conversationId }), 30_000, "chat join");
				wireChat(c, room);
				c.rejoinedAt = Date.now();
				for (const [clientId, text] of c.sent) if (!c.acked.has(clientId)) room.send("send", { clientId, text });
				return;
			} catch {
				await sleep(250 + Math.random() * 250);
			}
		}
	};
	await mapBounded(chat, 16, async (c, k) => wireChat(c, await sdk(ports[Math.floor(k / 2) % 2], c.token).joinOrCreate("chat", { conversationId: c.conversationId })));
	log(`${chat.length} chat clients in ${conversations.length} conversations (rooms on both processes)`);

	// Chat traffic for the whole run: each student end sends a message every ~700 ms.
	let chatting = true;
	const chatLoop = Promise.all(
		chat.filter(c => c.student).map(async (c, k) => {
			for (let n = 0; n < MESSAGES_PER_CHAT_STUDENT && chatting; n++) {
				await sleep(400 + ((k * 37) % 600));
				const clientId = `bf-${k}-${n}`;
				const text = `message ${n} of ${k}`;
				c.sent.set(clientId, text);
				try {
					c.room?.send("send", { clientId, text });
				} catch {
					/* the room is gone: re-sent after the rejoin */
				}
			}
		}),
	);

	// --- the session; the host is killed in the middle of question 2 ---
	const hostNode = hostPort === cluster.portA ? "realtime-a" : "realtime-b";
	let resumeMs = NaN;
	for (let q = 0; q < QUESTIONS; q++) {
		if (q === 0) teacherLive.send("start", {});
		else teacherLive.send("next", {});
		const opened = Date.now();
		while (!currentQuestion || currentQuestion.index !== q) {
			if (Date.now() - opened > 30_000) throw new Error(`question ${q} did not open`);
			await sleep(20);
		}
		const question = currentQuestion;
		if (process.env.BENCH_DEBUG) log(`question ${q} open: ${JSON.stringify(question).slice(0, 200)}`);
		const answering = Promise.all(group.map(async c => {
			await sleep(Math.random() * ANSWER_SPREAD_MS);
			const a = { questionIndex: q, clientId: `q${q}-s${c.i}`, answer: rightOf[question.item.id] };
			answersSent.add(a.clientId);
			c.pending = a;
			try {
				c.room?.send("answer", a);
			} catch {
				/* re-sent after the rejoin */
			}
		}));
		if (q === 1) {
			await sleep(ANSWER_SPREAD_MS / 2);
			killedPort = hostPort;
			killedAt = Date.now();
			log(`killing ${hostNode} (port ${hostPort}) with ${groupAcked.size} answers acknowledged so far`);
			await cluster.crash(hostNode);
			// The teacher asks for the session's room like everyone else, joins it and resumes.
			const resumedRoom = await (async () => {
				for (let attempt = 0; attempt < 120; attempt++) {
					try {
						const res = await fetch(`${cluster.base}/api/live-sessions/join`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${teacherToken}` }, body: JSON.stringify({ code: live.joinCode }), signal: AbortSignal.timeout(30_000) });
						const body: any = await res.json();
						if (res.status === 200) return { roomId: body.roomId as string, room: await sdk(ports.find(p => p !== killedPort)!, teacherToken).joinById(body.roomId) };
					} catch {
						/* again */
					}
					await sleep(250);
				}
				throw new Error("the teacher could not rejoin");
			})();
			roomId = resumedRoom.roomId;
			teacherLive = tame(resumedRoom.room);
			teacherLive.onMessage("question", (m: any) => (currentQuestion = m));
			await answering;
			// Wait for the class to be back (or 30 s), then resume.
			const back = Date.now();
			while (group.some(c => !c.rejoinedAt && portOf(c.room!) === killedPort) && Date.now() - back < 30_000) await sleep(100);
			resumeMs = Date.now() - killedAt;
			teacherLive.send("resume", {});
			log(`resumed in room ${roomId} ${resumeMs} ms after the kill; ${group.filter(c => c.rejoinedAt).length} students rejoined`);
		} else await answering;
		// Every pending answer gets its acknowledgement before the reveal (a client re-sends what is unacknowledged).
		const waitAcks = Date.now();
		while (group.some(c => c.pending) && Date.now() - waitAcks < 20_000) {
			await sleep(500);
			for (const c of group) if (c.pending && Date.now() - waitAcks > 3000) c.room?.send("answer", c.pending);
		}
		if (process.env.BENCH_DEBUG) log(`reveal q${q}: ${group.filter(c => c.pending).length} pending, ${groupAcked.size} acked`);
		teacherLive.send("reveal", {});
		await sleep(500);
	}
	const ended = new Promise<any>(resolve => teacherLive.onMessage("ended", (m: any) => resolve(m)));
	teacherLive.send("end", {});
	const final = await withTimeout(ended, 120_000, "the end");
	chatting = false;
	await chatLoop;
	// Unacknowledged chat messages are re-sent once more, then given a moment.
	const settle = Date.now();
	while (chat.some(c => [...c.sent.keys()].some(id => !c.acked.has(id))) && Date.now() - settle < 20_000) {
		await sleep(1000);
		for (const c of chat) for (const [clientId, text] of c.sent) if (!c.acked.has(clientId)) c.room?.send("send", { clientId, text });
	}

	// --- count what is stored ---
	const mongo = await MongoClient.connect(cluster.env.MONGO_URL);
	const db = mongo.db();
	const liveAnswers = await db.collection("liveanswers").find({ liveSessionId: { $in: [live.id, new ObjectId(live.id)] } }).toArray();
	const storedAnswers = new Set(liveAnswers.map(a => a.clientId));
	const sessions = await db.collection("revisionsessions").find({ liveSessionId: live.id }).toArray();
	const inSessions = sessions.flatMap(s => s.answers.map((a: any) => a.clientId));
	const reviews = await db.collection("reviewlogs").countDocuments({ reviewKey: { $regex: `^live:${live.id}:` } });
	const messages = await db.collection("messages").find({ conversationId: { $in: conversations.map(id => new ObjectId(id)) } }).toArray();
	await mongo.close();
	const storedMessages = messages.map(m => m.clientId).filter((id: string) => id.startsWith("bf-"));
	const sentMessages = chat.flatMap(c => [...c.sent.keys()]);
	const ackedMessages = chat.flatMap(c => [...c.acked].filter(id => c.sent.has(id)));
	const rejoins = [...group, ...chat].filter(c => c.leftAt && c.rejoinedAt).map(c => c.rejoinedAt! - c.leftAt!);
	const result = {
		students: group.length,
		chat_clients: chat.length,
		questions: QUESTIONS,
		killed: hostNode,
		answers_sent: answersSent.size,
		answers_acked: groupAcked.size,
		answers_stored: storedAnswers.size,
		answers_in_revision_sessions: inSessions.length,
		acked_answers_lost: [...groupAcked].filter(id => !storedAnswers.has(id) || !inSessions.includes(id)).length,
		reviews_recorded: reviews,
		leaderboard_rows: final.leaderboard.length,
		messages_sent: sentMessages.length,
		messages_acked: ackedMessages.length,
		messages_stored: new Set(storedMessages).size,
		acked_messages_lost: ackedMessages.filter(id => !storedMessages.includes(id)).length,
		duplicate_messages: storedMessages.length - new Set(storedMessages).size,
		clients_rejoined: rejoins.length,
		rejoin_ms_p50: Math.round(percentile(rejoins, 50)),
		rejoin_ms_p99: Math.round(percentile(rejoins, 99)),
		session_resumed_ms: resumeMs,
		duration_s: Math.round((Date.now() - started) / 100) / 10,
	};
	if (Object.keys(errors).length) log(`answer errors: ${JSON.stringify(errors)}`);
	log(`acknowledged per question: ${JSON.stringify([...groupAcked].reduce<Record<string, number>>((a, id) => ((a[id.split("-")[0]] = (a[id.split("-")[0]] ?? 0) + 1), a), {}))}`);
	log(`answers: ${result.answers_sent} sent, ${result.answers_acked} acknowledged, ${result.answers_stored} stored, ${result.acked_answers_lost} acknowledged and lost`);
	log(`messages: ${result.messages_sent} sent, ${result.messages_acked} acknowledged, ${result.messages_stored} stored, ${result.acked_messages_lost} acknowledged and lost, ${result.duplicate_messages} duplicates`);
	if (process.env.BENCH_DEBUG) for (const n of cluster.nodes) (await import("node:fs")).writeFileSync(`/tmp/bench-faults-${n.name}.log`, n.output());
	console.log(JSON.stringify(result));
	if (result.acked_answers_lost > 0 || result.acked_messages_lost > 0 || result.duplicate_messages > 0) process.exitCode = 1;
}

main()
	.catch(err => {
		log(`failed: ${err?.stack ?? err}`);
		for (const n of cluster.nodes) log(`--- ${n.name}\n${n.output().slice(-2000)}`);
		process.exitCode = 1;
	})
	.finally(async () => {
		await seeder?.stop().catch(() => undefined);
		await cluster.stop().catch(() => undefined);
		process.exit();
	});

/**
 * The bench's load generator, a process of its own: real SDK clients (and bare `ws` clients for the
 * baseline) driven by a seeded PRNG. All latencies are measured here, on this process's clock:
 * - group ack: an answer sent → its `answered` acknowledgement (sent by the room once recorded);
 * - reveal: the teacher's `reveal` sent → the state patch showing the question revealed, per student;
 * - chat: a message sent → the sender receiving it back from the room (stored, then broadcast);
 * - bare: a broadcast asked of the bare server → each member receiving it.
 * Phases (group, chat, bare, in that order) are bracketed by `mark`s, at which the orchestrator samples the
 * server's CPU and, after a forced GC, its memory.
 */
import { Client, type Room } from "@colyseus/sdk";
import { WebSocket } from "ws";
import { Prng } from "../memory/prng.js";
import type { BenchConfig, LoadResult, SeedPlan } from "./protocol.js";
import { mapBounded } from "../../../services/shared/bounded.js";

interface RunMessage {
	type: "run";
	config: BenchConfig;
	plan: SeedPlan;
	realtimePort: number;
	barePort: number;
}

const log = (line: string) => process.stderr.write(`[load] ${line}\n`);
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const failures: Record<string, number> = {};
const fail = (what: string) => (failures[what] = (failures[what] ?? 0) + 1);

let markResolve: (() => void) | undefined;
function mark(name: string): Promise<void> {
	return new Promise(resolve => {
		markResolve = resolve;
		process.send!({ type: "mark", name });
	});
}

let tokensResolve: ((plan: Pick<SeedPlan, "teacherToken" | "students">) => void) | undefined;
/** The plan with access tokens minted now by the server (through the orchestrator). */
function freshTokens(plan: SeedPlan): Promise<SeedPlan> {
	return new Promise(resolve => {
		tokensResolve = tokens => resolve({ ...plan, teacherToken: tokens.teacherToken, students: tokens.students });
		process.send!({ type: "tokens" });
	});
}


function sdk(port: number, token: string): Client {
	const client = new Client(`ws://127.0.0.1:${port}`);
	client.auth.token = token;
	return client;
}

/** A signal resolved by whichever comes first: the event, or the timeout (counted as a failure). */
function waitOrTimeout(register: (done: () => void) => void, ms: number, what: string): Promise<void> {
	return new Promise(resolve => {
		const timer = setTimeout(() => {
			fail(`timeout:${what}`);
			resolve();
		}, ms);
		register(() => {
			clearTimeout(timer);
			resolve();
		});
	});
}

/** Any plausible answer to a question, right or wrong at random (the load does not know the keys). */
function answerFor(item: any, rng: Prng): unknown {
	switch (item.kind) {
		case "single_choice":
			return { choiceId: item.choices[rng.int(item.choices.length)].id };
		case "multiple_choice":
			return { choiceIds: [item.choices[rng.int(item.choices.length)].id] };
		case "true_false":
			return { value: rng.next() < 0.5 };
		case "short_answer":
			return { text: rng.next() < 0.7 ? "Paris" : "Lyon" };
		default:
			return { value: rng.next() < 0.7 ? 8850 : 100 };
	}
}

interface Student {
	room: Room;
	sentAt: number;
	ackDone?: () => void;
	revealFor: number;
	revealDone?: () => void;
	endDone?: () => void;
}

async function groupPhase(run: RunMessage, result: LoadResult) {
	const { config, plan, realtimePort } = run;
	await mark("before-group-connect");
	const joinStarted = performance.now();
	let sessionsState: { revealAt: number }[] = [];
	const sessions = await mapBounded(plan.sessions, 4, async (session, g) => {
		const teacher = await sdk(realtimePort, plan.teacherToken).joinById(session.roomId);
		for (const type of ["done", "question", "reveal", "ended"]) teacher.onMessage(type, () => undefined);
		// A refused command (the end among them) would otherwise only show as the students' timeouts.
		teacher.onMessage("error", (e: any) => {
			fail(`teacher-error:${e.type}`);
			log(`the teacher's command was refused: ${e.type} ${e.message}`);
		});
		const students: Student[] = await mapBounded(session.students, 12, async index => {
			const rng = new Prng(config.seed + index);
			const room = await sdk(realtimePort, plan.students[index].token).joinById(session.roomId);
			const st: Student = { room, sentAt: 0, revealFor: -1 };
			room.onMessage("question", (q: any) => {
				setTimeout(() => {
					st.sentAt = performance.now();
					room.send("answer", { questionIndex: q.index, clientId: `q${q.index}`, answer: answerFor(q.item, rng) });
				}, rng.int(config.answerSpreadMs));
			});
			room.onMessage("answered", () => {
				result.groupAckMs.push(performance.now() - st.sentAt);
				st.ackDone?.();
			});
			room.onMessage("error", (e: any) => {
				fail(`error:${e.type}`);
				st.ackDone?.();
			});
			room.onMessage("ended", () => st.endDone?.());
			for (const type of ["reveal", "result"]) room.onMessage(type, () => undefined);
			room.onStateChange((state: any) => {
				if (st.revealDone && state.status === "revealed" && state.questionIndex === st.revealFor) {
					result.revealMs.push(performance.now() - sessionsState[g].revealAt);
					const done = st.revealDone;
					st.revealDone = undefined;
					done();
				}
			});
			return st;
		});
		return { teacher, students, revealAt: 0 };
	});
	sessionsState = sessions;
	result.groupClients = sessions.reduce((n, s) => n + 1 + s.students.length, 0);
	result.joinSeconds = (performance.now() - joinStarted) / 1000;
	log(`${result.groupClients} group clients joined in ${result.joinSeconds.toFixed(1)} s`);
	await sleep(1000);
	await mark("group-connected");

	await mark("group-run-start");
	const runStarted = performance.now();
	for (let q = 0; q < config.questions; q++) {
		await Promise.all(
			sessions.map(async session => {
				const acks = session.students.map(st => waitOrTimeout(done => (st.ackDone = done), config.answerSpreadMs + 60_000, "ack"));
				session.teacher.send(q === 0 ? "start" : "next", {});
				await Promise.all(acks);
				const reveals = session.students.map(st => {
					st.revealFor = q;
					return waitOrTimeout(done => (st.revealDone = done), 60_000, "reveal");
				});
				session.revealAt = performance.now();
				session.teacher.send("reveal", {});
				await Promise.all(reveals);
			}),
		);
		log(`question ${q + 1}/${config.questions} answered and revealed in every session`);
	}
	result.groupRunSeconds = (performance.now() - runStarted) / 1000;
	await mark("group-run-end");
	await Promise.all(
		sessions.map(async session => {
			// The room waits up to 120 s for the end to be stored (rooms/group.room.ts FINISH_TIMEOUT_MS).
			const ends = session.students.map(st => waitOrTimeout(done => (st.endDone = done), 180_000, "end"));
			const t0 = performance.now();
			session.teacher.send("end", {});
			await Promise.all(ends);
			result.endMs.push(performance.now() - t0);
		}),
	);
	log(`every session ended (persisted) in ≤ ${Math.round(Math.max(...result.endMs))} ms`);
}

async function chatPhase(run: RunMessage, result: LoadResult) {
	const { config, plan, realtimePort } = run;
	const joined = await mapBounded(plan.conversations, 16, async conv => {
		try {
			const student = await sdk(realtimePort, plan.students[conv.student].token).joinOrCreate("chat", { conversationId: conv.id });
			const teacher = await sdk(realtimePort, plan.teacherToken).joinOrCreate("chat", { conversationId: conv.id });
			for (const room of [student, teacher]) for (const type of ["sent", "read", "typing", "error"]) room.onMessage(type, () => undefined);
			teacher.onMessage("message", () => undefined);
			return { conv, student, teacher };
		} catch (err: any) {
			fail(`chat-join:${String(err?.message ?? err).slice(0, 60)}`);
			return undefined;
		}
	});
	const pairs = joined.filter((p): p is NonNullable<typeof p> => p !== undefined);
	result.chatClients = pairs.length * 2;
	log(`${result.chatClients} chat clients joined`);
	await mark("chat-run-start");
	await Promise.all(
		pairs.map(async ({ conv, student }) => {
			const rng = new Prng(config.seed * 7 + conv.student);
			const sentAt = new Map<string, number>();
			const waiters = new Map<string, () => void>();
			student.onMessage("message", (m: any) => {
				const t0 = sentAt.get(m.clientId);
				if (t0 === undefined) return;
				result.chatMs.push(performance.now() - t0);
				waiters.get(m.clientId)?.();
			});
			for (let k = 0; k < config.chatMessagesPerClient; k++) {
				await sleep(250 + rng.int(250));
				const clientId = `m${k}`;
				const got = waitOrTimeout(done => waiters.set(clientId, done), 30_000, "chat");
				sentAt.set(clientId, performance.now());
				student.send("send", { clientId, text: `hello ${k} from ${conv.student}` });
				await got;
			}
		}),
	);
	await mark("chat-run-end");
	await Promise.all(pairs.flatMap(p => [p.student.leave(true).catch(() => undefined), p.teacher.leave(true).catch(() => undefined)]));
}

async function barePhase(run: RunMessage, result: LoadResult) {
	const { config, barePort } = run;
	const groupSize = config.studentsPerSession + 1;
	const pad = "x".repeat(300);
	const groups = await mapBounded(Array.from({ length: config.sessions }), 4, async (_, g) => {
		const members = await mapBounded(Array.from({ length: groupSize }), 16, async () => {
			const ws = new WebSocket(`ws://127.0.0.1:${barePort}`);
			await new Promise<void>((resolve, reject) => {
				ws.once("open", () => ws.send(JSON.stringify({ join: String(g) })));
				ws.once("message", () => resolve());
				ws.once("error", reject);
			});
			return { ws, done: undefined as (() => void) | undefined };
		});
		return { members, sentAt: 0 };
	});
	for (const group of groups) {
		for (const member of group.members) {
			member.ws.on("message", () => {
				result.bareMs.push(performance.now() - group.sentAt);
				member.done?.();
			});
		}
	}
	for (let r = 0; r < config.bareRounds; r++) {
		await Promise.all(
			groups.map(async (group, g) => {
				const received = group.members.map(m => waitOrTimeout(done => (m.done = done), 10_000, "bare"));
				group.sentAt = performance.now();
				group.members[0].ws.send(JSON.stringify({ cast: String(g), round: r, pad }));
				await Promise.all(received);
			}),
		);
	}
	for (const group of groups) for (const m of group.members) m.ws.close();
}

process.on("message", async (msg: any) => {
	if (msg?.type === "marked") {
		markResolve?.();
		return;
	}
	if (msg?.type === "tokens") {
		tokensResolve?.(msg);
		return;
	}
	if (msg?.type !== "run") return;
	const result: LoadResult = { groupClients: 0, chatClients: 0, groupAckMs: [], revealMs: [], endMs: [], chatMs: [], bareMs: [], joinSeconds: 0, groupRunSeconds: 0, failures };
	try {
		// Access tokens live 15 minutes: each phase gets fresh ones, as clients refreshing theirs would.
		await groupPhase({ ...msg, plan: await freshTokens(msg.plan) }, result);
		await chatPhase({ ...msg, plan: await freshTokens(msg.plan) }, result);
		await barePhase(msg, result);
		process.send!({ type: "result", result });
	} catch (err: any) {
		log(`failed: ${err?.stack ?? err}`);
		process.send!({ type: "failed", error: String(err?.message ?? err) });
	}
});

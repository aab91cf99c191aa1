/**
 * A small OpenAI-compatible HTTP server for the tutor tests: `POST /v1/chat/completions` answers with the
 * next scripted reply, streamed as the documented `chat.completion.chunk` server-sent events (role, content
 * pieces, finish_reason, a usage chunk when `stream_options.include_usage` is set, then `data: [DONE]`), or
 * as one `chat.completion` object when the request does not stream. Every request body is recorded.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type Script = string | { text: string; status?: number; promptTokens?: number; completionTokens?: number } | ((request: any) => string);

export interface FakeLlm {
	url: string;
	requests: any[];
	/** Replies used in order; when none is left, `fallback` answers. */
	script(...replies: Script[]): void;
	/** Forgets the replies not used yet. */
	reset(): void;
	fallback: (request: any) => string;
	close(): Promise<void>;
}

function body(req: IncomingMessage): Promise<string> {
	return new Promise((resolve, reject) => {
		let data = "";
		req.setEncoding("utf8");
		req.on("data", chunk => (data += chunk));
		req.on("end", () => resolve(data));
		req.on("error", reject);
	});
}

/** Splits a reply into small pieces, as a model streams tokens. */
function pieces(text: string): string[] {
	return text.match(/.{1,7}/gs) ?? [""];
}

export async function startFakeLlm(): Promise<FakeLlm> {
	const queue: Script[] = [];
	const requests: any[] = [];
	const fake: FakeLlm = {
		url: "",
		requests,
		script: (...replies) => queue.push(...replies),
		reset: () => void queue.splice(0),
		fallback: () => "I can only answer from your course [S1].",
		close: () => new Promise(resolve => server.close(() => resolve())),
	};
	const server: Server = createServer(async (req, res) => {
		const raw = await body(req);
		if (req.method !== "POST" || !/\/chat\/completions$/.test(req.url ?? "")) {
			res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "not found" } }));
			return;
		}
		const request = JSON.parse(raw);
		requests.push({ ...request, headers: req.headers });
		const next = queue.shift() ?? fake.fallback;
		const reply = typeof next === "function" ? { text: next(request) } : typeof next === "string" ? { text: next } : next;
		if (reply.status && reply.status >= 400) {
			res.writeHead(reply.status, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "scripted failure", type: "server_error" } }));
			return;
		}
		const id = `chatcmpl-${requests.length}`;
		const created = Math.floor(Date.now() / 1000);
		const model = request.model ?? "fake-model";
		const usage = { prompt_tokens: reply.promptTokens ?? 100, completion_tokens: reply.completionTokens ?? 20, total_tokens: (reply.promptTokens ?? 100) + (reply.completionTokens ?? 20) };
		if (!request.stream) {
			res.writeHead(200, { "content-type": "application/json" }).end(
				JSON.stringify({ id, object: "chat.completion", created, model, choices: [{ index: 0, message: { role: "assistant", content: reply.text }, finish_reason: "stop" }], usage }),
			);
			return;
		}
		res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
		const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
			res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices, ...extra })}\n\n`);
		chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]);
		for (const piece of pieces(reply.text)) chunk([{ index: 0, delta: { content: piece }, finish_reason: null }]);
		chunk([{ index: 0, delta: {}, finish_reason: "stop" }]);
		if (request.stream_options?.include_usage) chunk([], { usage });
		res.end("data: [DONE]\n\n");
	});
	await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
	fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
	return fake;
}

/** The whole text of the prompts of a recorded request. */
export function promptText(request: any): string {
	return (request.messages ?? []).map((m: any) => m.content).join("\n");
}

/**
 * Where a tutor's answer goes: a server-sent-events stream (`text/event-stream`, events `start`, `delta`,
 * `done`, `error`) returned through the gateway, or a collector for a plain JSON answer.
 */
import { PassThrough } from "node:stream";

export interface AnswerSink {
	start(meta: Record<string, unknown>): void;
	delta(text: string): void;
	done(result: Record<string, unknown>): void;
	fail(error: { type: string; message: string }): void;
}

export class SseSink implements AnswerSink {
	readonly stream = new PassThrough();
	private closed = false;

	private send(event: string, data: unknown): void {
		if (this.closed) return;
		this.stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
	}

	start(meta: Record<string, unknown>) {
		this.send("start", meta);
	}
	delta(text: string) {
		if (text) this.send("delta", { text });
	}
	done(result: Record<string, unknown>) {
		this.send("done", result);
		this.close();
	}
	fail(error: { type: string; message: string }) {
		this.send("error", error);
		this.close();
	}
	private close() {
		if (this.closed) return;
		this.closed = true;
		this.stream.end();
	}
}

export class JsonSink implements AnswerSink {
	result: Record<string, unknown> | undefined;
	error: { type: string; message: string } | undefined;
	start() {}
	delta() {}
	done(result: Record<string, unknown>) {
		this.result = result;
	}
	fail(error: { type: string; message: string }) {
		this.error = error;
	}
}

/** Parses an SSE body into its events (tests and clients written in TypeScript). */
export function parseSse(body: string): { event: string; data: any }[] {
	return body
		.split("\n\n")
		.filter(block => block.trim())
		.map(block => {
			const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
			const data = block
				.split("\n")
				.filter(l => l.startsWith("data: "))
				.map(l => l.slice(6))
				.join("\n");
			return { event, data: data ? JSON.parse(data) : null };
		});
}

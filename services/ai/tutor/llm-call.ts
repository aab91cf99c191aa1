/**
 * One chat completion, streamed, through the `openai` package against any OpenAI-compatible endpoint.
 * `onDelta` sees each piece of text as it arrives; the result holds the whole text and the token usage
 * (from the final usage chunk when the server sends one, else estimated at 4 characters a token).
 */
import type OpenAI from "openai";
import type { ChatMessage } from "./prompt.js";

export interface Completion {
	text: string;
	promptTokens: number;
	completionTokens: number;
	model: string;
}

export async function complete(
	client: { openai: OpenAI; model: string },
	messages: ChatMessage[],
	opts: { onDelta?: (text: string) => void; maxTokens?: number; json?: boolean; signal?: AbortSignal } = {},
): Promise<Completion> {
	const stream = await client.openai.chat.completions.create(
		{
			model: client.model,
			messages,
			stream: true,
			stream_options: { include_usage: true },
			temperature: 0.2,
			...(opts.maxTokens ? { max_tokens: opts.maxTokens } : {}),
			...(opts.json ? { response_format: { type: "json_object" as const } } : {}),
		},
		{ signal: opts.signal },
	);
	let text = "";
	let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
	let model = client.model;
	for await (const chunk of stream) {
		if (chunk.model) model = chunk.model;
		if (chunk.usage) usage = chunk.usage;
		const delta = chunk.choices?.[0]?.delta?.content;
		if (delta) {
			text += delta;
			opts.onDelta?.(delta);
		}
	}
	const estimate = (s: string) => Math.ceil(s.length / 4);
	return {
		text,
		promptTokens: usage?.prompt_tokens ?? estimate(messages.map(m => m.content).join("\n")),
		completionTokens: usage?.completion_tokens ?? estimate(text),
		model,
	};
}

/**
 * The AI block's process-wide resources, from the settings: the embedding model (loaded once, on first
 * use) and the OpenAI-compatible client (none when neither OPENAI_BASE_URL nor OPENAI_API_KEY is set:
 * the tutor is then extractive and generation works from the passages alone).
 */
import OpenAI from "openai";
import { settings } from "../../config/env.js";
import { ClientError, ERR } from "../shared/errors.js";
import { loadEmbedder, ModelMissingError, type Embedder } from "./embedding/embedder.js";

export function embedder(): Promise<Embedder> {
	const cfg = settings();
	return loadEmbedder({ modelsDir: cfg.modelsDir, modelId: cfg.embeddingModel }).catch(err => {
		if (err instanceof ModelMissingError) throw new ClientError(err.message, 503, ERR.UNAVAILABLE);
		throw err;
	});
}

let client: { key: string; openai: OpenAI } | undefined;

/** The LLM client, or null in extractive mode. */
export function llm(): { openai: OpenAI; model: string } | null {
	const cfg = settings();
	if (!cfg.openaiBaseUrl && !cfg.openaiApiKey) return null;
	const key = `${cfg.openaiBaseUrl}|${cfg.openaiApiKey}|${cfg.llmTimeoutMs}`;
	if (client?.key !== key) {
		client = {
			key,
			// A local server (Ollama, vLLM) takes any key; the SDK insists on one.
			openai: new OpenAI({ baseURL: cfg.openaiBaseUrl, apiKey: cfg.openaiApiKey ?? "not-needed", timeout: cfg.llmTimeoutMs, maxRetries: 1 }),
		};
	}
	return { openai: client.openai, model: cfg.openaiModel };
}

/** The calendar month (UTC) usage is counted in: "2026-12". */
export function monthKey(at = new Date()): string {
	return at.toISOString().slice(0, 7);
}

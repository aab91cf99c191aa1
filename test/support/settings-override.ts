/** Runs a block with some settings changed, then restores them. */
import { overrideSettings, settings, type Settings } from "../../config/env.js";

export async function withSettings<T>(patch: Partial<Settings>, run: () => Promise<T>): Promise<T> {
	const current = settings();
	const saved = Object.fromEntries(Object.keys(patch).map(k => [k, current[k as keyof Settings]])) as Partial<Settings>;
	overrideSettings(patch);
	try {
		return await run();
	} finally {
		overrideSettings(saved);
	}
}

/**
 * The open-spaced-repetition optimizer (fsrs-rs through napi). Its 0.5.0 release is published prebuilt
 * for linux-x64-gnu only, and its umbrella package (@open-spaced-repetition/binding) lists platform
 * packages that do not exist at that version, which breaks `npm ci`; so we depend on the one platform
 * package directly (optional: other platforms install without it) and declare the part of its API we use.
 */
import { createRequire } from "node:module";

export declare class FSRSBindingReview {
	constructor(rating: number, deltaT: number);
	readonly rating: number;
	readonly deltaT: number;
}

export declare class FSRSBindingItem {
	constructor(reviews: FSRSBindingReview[]);
}

export interface ComputeParametersOptions {
	enableShortTerm: boolean;
	numRelearningSteps?: number;
	progress?: (current: number, total: number) => boolean | undefined | void;
	/** How often (ms) the binding polls its training thread. */
	timeout?: number;
}

export interface FsrsBinding {
	FSRSBindingItem: typeof FSRSBindingItem;
	FSRSBindingReview: typeof FSRSBindingReview;
	computeParameters(trainSet: FSRSBindingItem[], options?: ComputeParametersOptions): Promise<number[]>;
}

const PLATFORM_PACKAGES: Record<string, string> = {
	"linux-x64": "@open-spaced-repetition/binding-linux-x64-gnu",
};

/** Loads the native optimizer for this platform, or throws an Error that says why it cannot. */
export function requireFsrsBinding(): FsrsBinding {
	const key = `${process.platform}-${process.arch}`;
	const name = PLATFORM_PACKAGES[key];
	if (!name) throw new Error(`no prebuilt optimizer for ${key} (available: ${Object.keys(PLATFORM_PACKAGES).join(", ")})`);
	return createRequire(import.meta.url)(name) as FsrsBinding;
}

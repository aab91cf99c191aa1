/** Stops the shared platform once every test file has run. */
import { shutdownPlatform } from "./platform.js";

export const mochaHooks = {
	async afterAll(this: unknown) {
		await shutdownPlatform();
	},
};

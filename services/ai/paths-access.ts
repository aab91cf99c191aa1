/**
 * Links to paths go through the paths service as the caller: `paths.get` answers 404 for another
 * school's path and 403 for another teacher's, so a teacher links only their own paths.
 */
import { invalid } from "../shared/errors.js";
import type { Ctx } from "../shared/identity.js";

export async function assertManagedPaths(ctx: Ctx<any>, pathIds: readonly string[], field = "pathIds"): Promise<void> {
	for (const [i, id] of pathIds.entries()) {
		try {
			await ctx.call("paths.get", { id });
		} catch (err: any) {
			if (err?.code === 404) throw invalid(`${field}[${i}]`, "is not a learning path of this school");
			throw err;
		}
	}
}

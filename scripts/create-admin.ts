/**
 * `npm run create-admin -- --email E --password P [--first-name F --last-name L --role support]`:
 * creates platform staff (no endpoint may). Runs the users service alone in this process against
 * MONGO_URL (or, when unset, the embedded database: scripts/admin-database.ts), calls
 * users.createPlatformAdmin as the system principal, prints the account and exits.
 */
import { parseArgs } from "node:util";
import { systemMeta } from "../services/shared/identity.js";
import { fail, runAdminCommand } from "./admin-database.js";

const USAGE = "usage: npm run create-admin -- --email <email> --password <password> [--first-name <name>] [--last-name <name>] [--role platform_admin|support]";

function readArgs() {
	try {
		const { values } = parseArgs({
			options: {
				email: { type: "string" },
				password: { type: "string" },
				"first-name": { type: "string", default: "Platform" },
				"last-name": { type: "string", default: "Admin" },
				role: { type: "string", default: "platform_admin" },
			},
			strict: true,
		});
		if (!values.email || !values.password) fail(`--email and --password are required\n${USAGE}`);
		if (values.role !== "platform_admin" && values.role !== "support") fail(`--role must be platform_admin or support\n${USAGE}`);
		return { email: values.email, password: values.password, firstName: values["first-name"]!, lastName: values["last-name"]!, role: values.role };
	} catch (err) {
		fail(`${(err as Error).message}\n${USAGE}`);
	}
}

/** The reason a person can act on: the validation problems, or the error's own message. */
function explain(err: any): string {
	const problems = Array.isArray(err?.data) ? err.data.map((p: any) => `  - ${p.field}: ${p.message}`).join("\n") : "";
	return `create-admin failed: ${err?.message ?? err}${err?.type ? ` (${err.type})` : ""}${problems ? `\n${problems}` : ""}`;
}

async function main(): Promise<void> {
	const args = readArgs();
	await runAdminCommand(
		"create-admin",
		["users"],
		async broker => {
			const user: any = await broker.call("users.createPlatformAdmin", args, { meta: systemMeta() });
			console.log(JSON.stringify({ id: user.id, email: user.email, roles: user.roles, firstName: user.firstName, lastName: user.lastName }, null, 2));
		},
		{ onError: err => console.error(explain(err)) },
	);
}

void main();

/**
 * Every service of the platform, by the name SERVICES uses to pick what a node runs.
 * Loaded lazily so a node imports only the code it runs.
 */
import type { ServiceSchema } from "moleculer";

type Loader = () => Promise<ServiceSchema>;
const load = (p: Promise<{ default: unknown }>) => p.then(m => m.default as ServiceSchema);

export const SERVICE_LOADERS: Readonly<Record<string, Loader>> = {
	api: () => load(import("./gateway/api.service.js")),
	realtime: () => load(import("./realtime/realtime.service.js")),
	auth: () => load(import("./users/auth.service.js")),
	schools: () => load(import("./users/schools.service.js")),
	users: () => load(import("./users/users.service.js")),
	invitations: () => load(import("./users/invitations.service.js")),
	classes: () => load(import("./users/classes.service.js")),
	audit: () => load(import("./users/audit.service.js")),
	subscriptions: () => load(import("./billing/subscriptions.service.js")),
	notifications: () => load(import("./communication/notifications.service.js")),
	mailer: () => load(import("./communication/mailer.service.js")),
};

export const ALL_SERVICES = Object.keys(SERVICE_LOADERS);

export function resolveServiceNames(requested?: string[]): string[] {
	if (!requested || requested.length === 0 || requested.includes("all")) return ALL_SERVICES;
	const unknown = requested.filter(name => !(name in SERVICE_LOADERS));
	if (unknown.length > 0) {
		throw new Error(`Invalid configuration: SERVICES names unknown services: ${unknown.join(", ")} (known: ${ALL_SERVICES.join(", ")})`);
	}
	return requested;
}

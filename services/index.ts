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
	// Block 6: billing (docs/BILLING.md)
	billingAccounts: () => load(import("./billing/billing-accounts.service.js")),
	invoices: () => load(import("./billing/invoices.service.js")),
	payments: () => load(import("./billing/payments.service.js")),
	stripeWebhooks: () => load(import("./billing/stripe-webhooks.service.js")),
	billingUsage: () => load(import("./billing/billing-usage.service.js")),
	billingRuns: () => load(import("./billing/billing-runs.service.js")),
	billingNotices: () => load(import("./billing/billing-notices.service.js")),
	notifications: () => load(import("./communication/notifications.service.js")),
	mailer: () => load(import("./communication/mailer.service.js")),
	conversations: () => load(import("./communication/conversations.service.js")),
	// Block 4, the rest: agenda, rendez-vous, visio (LiveKit), reminders, preferences, email and push delivery
	preferences: () => load(import("./communication/preferences.service.js")),
	delivery: () => load(import("./communication/delivery.service.js")),
	push: () => load(import("./communication/push.service.js")),
	availability: () => load(import("./communication/availability.service.js")),
	rendezvous: () => load(import("./communication/rendezvous.service.js")),
	visio: () => load(import("./communication/visio.service.js")),
	reminders: () => load(import("./communication/reminders.service.js")),
	agenda: () => load(import("./communication/agenda.service.js")),
	// Block 2: learning
	paths: () => load(import("./learning/paths.service.js")),
	revisions: () => load(import("./learning/revisions.service.js")),
	evaluations: () => load(import("./learning/evaluations.service.js")),
	progress: () => load(import("./learning/progress.service.js")),
	content: () => load(import("./learning/content.service.js")),
	scheduling: () => load(import("./learning/scheduling.service.js")),
	memory: () => load(import("./learning/memory.service.js")),
	liveSessions: () => load(import("./learning/live-sessions.service.js")),
	// Block 3: AI tutors and RAG (services/ai)
	aiAgents: () => load(import("./ai/agents.service.js")),
	aiSources: () => load(import("./ai/sources.service.js")),
	aiTutor: () => load(import("./ai/tutor.service.js")),
	aiGeneration: () => load(import("./ai/generation.service.js")),
	// Web client: the names of the people a member may write to (the chat screens)
	contacts: () => load(import("./web/contacts.service.js")),
	// Block 5: reporting (services/reporting): the feed's aggregator, and the dashboards
	reportingFeed: () => load(import("./reporting/feed.service.js")),
	reporting: () => load(import("./reporting/reporting.service.js")),
	// Operations: data rights (export, erasure, closure of a school; services/ops)
	dataRights: () => load(import("./ops/data-rights.service.js")),
};

export const ALL_SERVICES = Object.keys(SERVICE_LOADERS);

/**
 * SERVICES as a list of names, where "all" stands for every service and "-name" removes one
 * ("all,-realtime": an API node), so deployments need no edit when a service is added.
 */
export function resolveServiceNames(requested?: string[]): string[] {
	if (!requested || requested.length === 0) return ALL_SERVICES;
	const excluded = requested.filter(name => name.startsWith("-")).map(name => name.slice(1));
	const included = requested.filter(name => !name.startsWith("-"));
	const unknown = [...included.filter(name => name !== "all"), ...excluded].filter(name => !(name in SERVICE_LOADERS));
	if (unknown.length > 0) {
		throw new Error(`Invalid configuration: SERVICES names unknown services: ${unknown.join(", ")} (known: ${ALL_SERVICES.join(", ")})`);
	}
	const base = included.length === 0 || included.includes("all") ? ALL_SERVICES : included;
	return base.filter(name => !excluded.includes(name));
}

/**
 * The services that hold personal data and take part in export and erasure (each mixes in
 * services/shared/personal-data.ts). An erasure is complete once every one of them confirmed its part.
 */
export const PERSONAL_DATA_PARTS: readonly string[] = [
	// Block 1: users
	"users", "auth", "schools", "invitations", "classes", "audit",
	// Block 2: learning
	"content", "paths", "revisions", "evaluations", "progress", "scheduling", "memory", "liveSessions",
	// Block 3: AI
	"aiAgents", "aiSources", "aiTutor", "aiGeneration",
	// Block 4: communication
	"notifications", "conversations", "preferences", "delivery", "push", "availability", "rendezvous", "visio", "reminders", "agenda",
	// Block 6: billing
	"subscriptions", "billingAccounts", "invoices", "payments", "billingUsage",
	// Block 5: reporting's projections (services/reporting/personal-data.ts)
	"reportingFeed",
];

/**
 * The services whose `export` actions a rebuild pages through (rebuild.ts EXPORTS), by their SERVICES names:
 * what `npm run reporting:rebuild` runs in its own process. Billing's invoices join when that service exists.
 */
import { SERVICE_LOADERS } from "../../index.js";

const WANTED = ["schools", "users", "classes", "paths", "memory", "revisions", "evaluations", "progress", "conversations", "visio", "aiTutor", "aiGeneration", "invoices"];

export const EXPORT_SERVICES = WANTED.filter(name => name in SERVICE_LOADERS);

import type { ServiceSchema } from "moleculer";

/** A service definition: moleculer's schema with free-form settings (rest base path, gateway options). */
export type ServiceDef = ServiceSchema<Record<string, any>>;

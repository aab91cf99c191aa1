import type { ServiceSchema } from "moleculer";

/** moleculer-db's entity lifecycle: called after the db mixin's insert/update/remove helpers store a change. */
type EntityHook = (this: any, json: any, ctx?: any, raw?: any) => unknown;

/** A service definition: moleculer's schema with free-form settings (rest base path, gateway options). */
export type ServiceDef = ServiceSchema<Record<string, any>> & { entityCreated?: EntityHook; entityUpdated?: EntityHook; entityRemoved?: EntityHook };

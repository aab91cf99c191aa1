/**
 * The REST surface, from two sources that must agree: the service definitions (readable when a test
 * file loads, so tests can be generated per route) and the live `/api/openapi.json` of the running
 * gateway (what clients actually reach).
 */
import { principalsFor } from "../../config/permissions/index.js";
import { SERVICE_LOADERS } from "../../services/index.js";
import { http } from "./platform.js";

export type Rules = Record<string, unknown>;

export interface Route {
	/** `METHOD /api/path/{param}`, as in OpenAPI. */
	key: string;
	method: string;
	path: string;
	action: string;
	/** The action's fastest-validator schema (path parameters included). */
	params: Rules;
	pathParams: string[];
	/** Principals of the permission matrix ("anonymous" for public routes). */
	principals: string[];
}

function toOpenApiPath(servicePath: string, routePath: string): string {
	const full = `/api/${servicePath}/${routePath}`.replace(/\/+/g, "/").replace(/\/$/, "");
	return full.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

/** An action's `rest`: "METHOD /path", `{ method, path }`, or a list of them. */
function restDefinitions(rest: unknown): { method: string; routePath: string }[] {
	return (Array.isArray(rest) ? rest : [rest]).flatMap(r => {
		if (typeof r === "string") {
			const [method, routePath] = r.trim().split(/\s+/);
			return routePath ? [{ method: method.toUpperCase(), routePath }] : [];
		}
		if (r && typeof r === "object" && typeof r.path === "string") return [{ method: String(r.method ?? "GET").toUpperCase(), routePath: r.path }];
		return [];
	});
}

function actionsOf(def: any): Record<string, any> {
	const own = def.actions ?? {};
	const inherited = (def.mixins ?? []).map(actionsOf);
	return Object.assign({}, ...inherited, own);
}

/** Routes declared by every service the platform loads, read without starting a broker. */
export async function declaredRoutes(): Promise<Route[]> {
	const routes: Route[] = [];
	for (const [name, load] of Object.entries(SERVICE_LOADERS)) {
		// The gateway reads its port when its module loads, before the test platform has set port 0; its
		// own aliases (openapi.json, docs) are not API routes anyway.
		if (name === "api") continue;
		const def: any = await load();
		const servicePath = def.settings?.rest ?? `/${def.name}`;
		for (const [name, action] of Object.entries(actionsOf(def))) {
			if (!action || typeof action !== "object" || !action.rest) continue;
			const actionName = `${def.name}.${name}`;
			for (const { method, routePath } of restDefinitions(action.rest)) {
			const path = toOpenApiPath(servicePath, routePath);
			routes.push({
				key: `${method.toUpperCase()} ${path}`,
				method: method.toUpperCase(),
				path,
				action: actionName,
				params: action.params ?? {},
				pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map(m => m[1]),
				principals: [...(principalsFor(actionName) ?? [])],
			});
			}
		}
	}
	return routes.sort((a, b) => a.key.localeCompare(b.key));
}

/** `METHOD /api/path` of every operation the running gateway documents. */
export async function liveRouteKeys(): Promise<string[]> {
	const res = await http("GET", "/api/openapi.json");
	if (res.status !== 200) throw new Error(`GET /api/openapi.json answered ${res.status}`);
	const keys: string[] = [];
	for (const [path, ops] of Object.entries<Record<string, unknown>>(res.body.paths)) {
		for (const method of Object.keys(ops)) keys.push(`${method.toUpperCase()} ${path}`);
	}
	return keys.sort();
}

/** The path with its `{param}`s filled in (URL-encoded). */
export function fillPath(path: string, values: Record<string, string>): string {
	return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
		if (!(name in values)) throw new Error(`no value for {${name}} in ${path}`);
		return encodeURIComponent(values[name]);
	});
}

export function isOptionalRule(rule: unknown): boolean {
	if (typeof rule === "string") return /\|optional\b/.test(rule);
	return !!rule && typeof rule === "object" && ((rule as Rules).optional === true || (rule as Rules).default !== undefined);
}

/** Parameters a client sends in the body or query (not the path, not `$$` options). */
export function clientParams(route: Route): [string, unknown][] {
	return Object.entries(route.params).filter(([name]) => !name.startsWith("$$") && !route.pathParams.includes(name));
}

/** Differences between the routes the services declare and those the gateway serves. */
export function sameRoutes(declared: Route[], live: string[]): { declaredNotServed: string[]; servedNotDeclared: string[] } {
	const keys = declared.map(r => r.key);
	return { declaredNotServed: keys.filter(k => !live.includes(k)), servedNotDeclared: live.filter(k => !keys.includes(k)) };
}

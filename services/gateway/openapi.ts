/**
 * Builds the OpenAPI 3 document from what the services declare: each action's `rest` route and its
 * fastest-validator `params` schema. Nothing here is written by hand per endpoint, so the document
 * cannot drift from the code.
 */
import type { ServiceBroker } from "moleculer";
import { principalsFor } from "../../config/permissions/index.js";

type Json = Record<string, unknown>;

interface ActionInfo {
	name: string;
	rest?: unknown;
	params?: Record<string, unknown>;
	openapi?: { summary?: string; description?: string; responses?: Json };
}

/** fastest-validator rule → JSON schema (the subset our services use). */
export function ruleToSchema(rule: unknown): Json {
	if (typeof rule === "string") return ruleToSchema(parseShorthand(rule));
	if (Array.isArray(rule)) return { oneOf: rule.map(ruleToSchema) };
	if (!rule || typeof rule !== "object") return {};
	const r = rule as Record<string, any>;
	const common: Json = {};
	if (r.default !== undefined && typeof r.default !== "function") common.default = r.default;
	if (r.description) common.description = r.description;
	switch (r.type) {
		case "string": {
			const s: Json = { type: "string", ...common };
			if (r.min !== undefined) s.minLength = r.min;
			if (r.max !== undefined) s.maxLength = r.max;
			if (r.length !== undefined) s.minLength = s.maxLength = r.length;
			if (r.pattern) s.pattern = String(r.pattern instanceof RegExp ? r.pattern.source : r.pattern);
			if (r.enum) s.enum = r.enum;
			return s;
		}
		case "email":
			return { type: "string", format: "email", ...common, ...(r.max ? { maxLength: r.max } : {}) };
		case "url":
			return { type: "string", format: "uri", ...common };
		case "uuid":
			return { type: "string", format: "uuid", ...common };
		case "objectID":
			return { type: "string", pattern: "^[0-9a-fA-F]{24}$", ...common };
		case "date":
			return { type: "string", format: "date-time", ...common };
		case "number": {
			const s: Json = { type: r.integer ? "integer" : "number", ...common };
			if (r.min !== undefined) s.minimum = r.min;
			if (r.max !== undefined) s.maximum = r.max;
			return s;
		}
		case "boolean":
			return { type: "boolean", ...common };
		case "enum":
			return { enum: r.values, ...common };
		case "equal":
			return { enum: [r.value], ...common };
		case "array": {
			const s: Json = { type: "array", items: r.items ? ruleToSchema(r.items) : {}, ...common };
			if (r.min !== undefined) s.minItems = r.min;
			if (r.max !== undefined) s.maxItems = r.max;
			return s;
		}
		case "object":
			return { ...objectSchema(r.props ?? r.properties ?? {}), ...common };
		case "multi":
			return { oneOf: (r.rules ?? []).map(ruleToSchema), ...common };
		default:
			return { ...common };
	}
}

function parseShorthand(rule: string): Json {
	const [type, ...modifiers] = rule.split("|");
	const out: Json = { type };
	for (const m of modifiers) {
		const [k, v] = m.split(":");
		out[k] = v === undefined ? true : Number.isNaN(Number(v)) ? v : Number(v);
	}
	return out;
}

function isOptional(rule: unknown): boolean {
	if (typeof rule === "string") return /\|optional(\||$)/.test(rule) || rule.endsWith("|optional");
	return !!rule && typeof rule === "object" && ((rule as Json).optional === true || (rule as Json).default !== undefined);
}

function objectSchema(props: Record<string, unknown>): Json {
	const properties: Json = {};
	const required: string[] = [];
	for (const [key, rule] of Object.entries(props)) {
		if (key.startsWith("$$")) continue;
		properties[key] = ruleToSchema(rule);
		if (!isOptional(rule)) required.push(key);
	}
	return { type: "object", properties, ...(required.length ? { required } : {}) };
}

function restRoutes(rest: unknown): { method: string; path: string }[] {
	const list = Array.isArray(rest) ? rest : [rest];
	return list.flatMap(r => {
		if (typeof r === "string") {
			const [method, path] = r.includes(" ") ? r.split(/\s+/) : ["*", r];
			return [{ method: method.toLowerCase(), path }];
		}
		if (r && typeof r === "object" && typeof (r as Json).path === "string") {
			return [{ method: String((r as Json).method ?? "*").toLowerCase(), path: (r as Json).path as string }];
		}
		return [];
	});
}

const ERROR_RESPONSE = {
	description: "Error",
	content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
};

export function buildOpenApi(broker: ServiceBroker, basePath = "/api"): Json {
	const services = broker.registry.getServiceList({ withActions: true, onlyAvailable: true }) as any[];
	const paths: Record<string, Json> = {};
	const seen = new Set<string>();
	for (const svc of services) {
		if (svc.name.startsWith("$")) continue;
		const servicePath: string = svc.settings?.rest ?? `/${svc.name}`;
		for (const action of Object.values(svc.actions ?? {}) as ActionInfo[]) {
			if (!action.rest || seen.has(action.name)) continue;
			seen.add(action.name);
			for (const route of restRoutes(action.rest)) {
				const full = `${basePath}/${servicePath}/${route.path}`.replace(/\/+/g, "/").replace(/\/$/, "") || "/";
				const openPath = full.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
				const pathParams = [...full.matchAll(/:([A-Za-z0-9_]+)/g)].map(m => m[1]);
				const params = { ...(action.params ?? {}) };
				const parameters: Json[] = pathParams.map(name => ({
					name,
					in: "path",
					required: true,
					schema: params[name] ? ruleToSchema(params[name]) : { type: "string" },
				}));
				for (const name of pathParams) delete params[name];
				const methods = route.method === "*" ? ["get", "post"] : [route.method === "rest" ? "get" : route.method];
				for (const method of methods) {
					const op: Json = {
						operationId: action.name,
						tags: [svc.name],
						summary: action.openapi?.summary ?? action.name,
						...(action.openapi?.description ? { description: action.openapi.description } : {}),
						"x-roles": principalsFor(action.name) ?? [],
						responses: { 200: { description: "OK" }, "4XX": ERROR_RESPONSE, ...(action.openapi?.responses ?? {}) },
					};
					const roles = principalsFor(action.name) ?? [];
					if (!roles.includes("anonymous")) op.security = [{ bearerAuth: [] }];
					if (method === "get" || method === "delete") {
						op.parameters = [
							...parameters,
							...Object.entries(params)
								.filter(([k]) => !k.startsWith("$$"))
								.map(([name, rule]) => ({ name, in: "query", required: !isOptional(rule), schema: ruleToSchema(rule) })),
						];
					} else {
						op.parameters = parameters;
						if (Object.keys(params).length > 0) {
							op.requestBody = { required: true, content: { "application/json": { schema: objectSchema(params as Record<string, unknown>) } } };
						}
					}
					paths[openPath] = { ...(paths[openPath] ?? {}), [method]: op };
				}
			}
		}
	}
	return {
		openapi: "3.0.3",
		info: {
			title: "Learning Platform API",
			version: "0.1.0",
			description: "Multi-tenant learning platform. Errors are `{\"error\": {\"type\", \"message\", \"data\"}}`.",
		},
		servers: [{ url: "/" }],
		components: {
			securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
			schemas: {
				Error: {
					type: "object",
					properties: {
						error: {
							type: "object",
							properties: { type: { type: "string" }, message: { type: "string" }, data: {} },
							required: ["type", "message"],
						},
					},
				},
			},
		},
		paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
	};
}

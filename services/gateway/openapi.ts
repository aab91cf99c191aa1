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

/**
 * fastest-validator rule → JSON schema (OpenAPI 3.0 flavour), as precise as the rule: lengths, bounds,
 * patterns, enums, required and nullable fields, strict objects. A rule may carry `openapi` (a schema that
 * replaces the derived one, for `any` rules whose shape the action checks itself, e.g. answers) and text
 * rules (services/shared/text-rules.ts) carry `chars`, their limits in characters after cleaning.
 */
export function ruleToSchema(rule: unknown): Json {
	if (typeof rule === "string") return ruleToSchema(parseShorthand(rule));
	if (Array.isArray(rule)) return { anyOf: rule.map(ruleToSchema) };
	if (!rule || typeof rule !== "object") return {};
	const r = rule as Record<string, any>;
	if (r.openapi && typeof r.openapi === "object") return { ...r.openapi };
	const common: Json = {};
	if (r.default !== undefined && typeof r.default !== "function") common.default = r.default;
	if (r.description) common.description = r.description;
	if (r.nullable === true) common.nullable = true;
	if (r.chars) return { type: "string", minLength: r.chars.min, maxLength: r.chars.max, ...common };
	switch (r.type) {
		case "string": {
			const s: Json = { type: "string", ...common };
			if (r.min !== undefined) s.minLength = r.min;
			if (r.max !== undefined) s.maxLength = r.max;
			if (r.length !== undefined) s.minLength = s.maxLength = r.length;
			if (r.pattern) s.pattern = String(r.pattern instanceof RegExp ? r.pattern.source : r.pattern);
			// A trimmed string must hold something besides spaces to meet its minimum.
			else if (r.trim && (r.min ?? 0) > 0) s.pattern = "\\S";
			if (r.enum) s.enum = r.enum;
			if (r.numeric) s.pattern = "^-?[0-9]+(\\.[0-9]+)?$";
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
			if (r.positive) Object.assign(s, { minimum: 0, exclusiveMinimum: true });
			if (r.equal !== undefined) s.enum = [r.equal];
			return s;
		}
		case "boolean":
			return { type: "boolean", ...common };
		case "enum":
			return { ...(r.values.every((v: unknown) => typeof v === "string") ? { type: "string" } : {}), enum: r.values, ...common };
		case "equal":
			return { enum: [r.value], ...common };
		case "array": {
			const s: Json = { type: "array", items: r.items ? ruleToSchema(r.items) : {}, ...common };
			if (r.min !== undefined) s.minItems = r.min;
			if (r.max !== undefined) s.maxItems = r.max;
			if (r.length !== undefined) s.minItems = s.maxItems = r.length;
			if (r.unique) s.uniqueItems = true;
			return s;
		}
		case "object": {
			const s: Json = { ...objectSchema(r.props ?? r.properties ?? {}, r.strict === true), ...common };
			if (r.minProps !== undefined) s.minProperties = r.minProps;
			if (r.maxProps !== undefined) s.maxProperties = r.maxProps;
			return s;
		}
		case "multi":
			return { anyOf: (r.rules ?? []).map(ruleToSchema), ...common };
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

function isForbidden(rule: unknown): boolean {
	return (typeof rule === "string" && rule.startsWith("forbidden")) || (!!rule && typeof rule === "object" && (rule as Json).type === "forbidden");
}

/** An object of these props; `strict` (refuse unknown keys) becomes additionalProperties: false. */
function objectSchema(props: Record<string, unknown>, strict = false): Json {
	const properties: Json = {};
	const required: string[] = [];
	for (const [key, rule] of Object.entries(props)) {
		if (key.startsWith("$$") || isForbidden(rule)) continue;
		properties[key] = ruleToSchema(rule);
		if (!isOptional(rule)) required.push(key);
	}
	return { type: "object", properties, ...(required.length ? { required } : {}), ...(strict ? { additionalProperties: false } : {}) };
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
						responses: { "2XX": { description: "Success (201 when something was created)" }, "4XX": ERROR_RESPONSE, ...(action.openapi?.responses ?? {}) },
					};
					const roles = principalsFor(action.name) ?? [];
					if (!roles.includes("anonymous")) op.security = [{ bearerAuth: [] }];
					if (method === "get" || method === "delete") {
						op.parameters = [
							...parameters,
							...Object.entries(params)
								.filter(([k, rule]) => !k.startsWith("$$") && !isForbidden(rule))
								.map(([name, rule]) => ({ name, in: "query", required: !isOptional(rule), schema: ruleToSchema(rule) })),
						];
					} else {
						op.parameters = parameters;
						const body = objectSchema(params as Record<string, unknown>, (params as Json).$$strict === true);
						if (Object.keys(body.properties as Json).length > 0) {
							op.requestBody = { required: Array.isArray(body.required), content: { "application/json": { schema: body } } };
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
			description: [
				"Multi-tenant learning platform. Authenticate with `Authorization: Bearer <accessToken>` (POST /api/auth/login).",
				"Errors are `{\"error\": {\"type\", \"message\", \"data\"}}` with a 4xx status; a 422 VALIDATION_ERROR lists the fields in `data`.",
				"Lists are paginated: `page`, `pageSize` (≤ 100) → `{rows, total, page, pageSize, totalPages}`.",
				"Names (users, schools, classes, paths, items) and chat messages are cleaned before their limits apply: Unicode NFKC, control, bidi-override and zero-width characters removed, trimmed; lengths count characters (code points).",
				"Lesson content (`markdown`) is Markdown: answers carry it as written and, for clients that render it, `html`, the same lesson as sanitised HTML. Chat messages, prompts, choices and flashcard sides are plain text.",
			].join("\n\n"),
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

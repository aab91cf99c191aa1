/**
 * The browsable API docs at /api/docs: swagger-ui served from the installed package, no CDN. The page
 * runs no inline script (its start-up is /api/docs/init.js), so the page's CSP can stay `script-src 'self'`.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const SWAGGER_DIR = path.dirname(require.resolve("swagger-ui-dist/package.json"));
/** A Map, not an object: a name like `toString` or `__proto__` must not find anything. */
const ASSETS = new Map<string, string>([
	["swagger-ui.css", "text/css; charset=utf-8"],
	["swagger-ui-bundle.js", "application/javascript; charset=utf-8"],
	["swagger-ui-standalone-preset.js", "application/javascript; charset=utf-8"],
	["favicon-32x32.png", "image/png"],
]);

/** `validatorUrl: null`: the default badge would load an image from validator.swagger.io. */
const INIT_JS = `window.ui = SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#swagger-ui", validatorUrl: null });\n`;

export const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Learning Platform API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/api/docs/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body></html>`;

const cache = new Map<string, Buffer>([["init.js", Buffer.from(INIT_JS)]]);
const TYPES = new Map([...ASSETS, ["init.js", "application/javascript; charset=utf-8"]]);

/** The asset and its content type, or undefined for a name we do not serve. */
export async function docsAsset(name: string): Promise<{ body: Buffer; type: string } | undefined> {
	const type = TYPES.get(name);
	if (!type) return undefined;
	let body = cache.get(name);
	if (!body) {
		body = await readFile(path.join(SWAGGER_DIR, name));
		cache.set(name, body);
	}
	return { body, type };
}

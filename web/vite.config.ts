// The browser client's build: one hashed bundle under /assets, no inline script (a strict CSP applies:
// script-src 'self'), served by the gateway from web/dist (services/gateway/web-client.ts).
import { defineConfig } from "vite";

export default defineConfig({
	base: "/",
	// JSX for Preact (automatic runtime), as tsconfig.json says.
	oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
	resolve: { alias: { react: "preact/compat", "react-dom": "preact/compat" } },
	build: {
		outDir: "dist",
		emptyOutDir: true,
		target: "es2022",
		// A module preload polyfill would be an inline script; every supported browser preloads modules.
		modulePreload: { polyfill: false },
		sourcemap: true,
		chunkSizeWarningLimit: 400,
	},
	server: {
		// `npx vite` in web/ (hot reload) against a platform running on :8080.
		proxy: { "/api": "http://localhost:8080", "/health": "http://localhost:8080" },
	},
});

/**
 * Browser fixtures for the `browser e2e` group: Debian's Chromium driven by playwright-core (no browser is
 * ever downloaded), one isolated context per person, pages served by the test platform's gateway (with the
 * strict Content-Security-Policy it sends; a violation is reported as a problem), and a switch that cuts a
 * context's WebSockets the way a lost Wi-Fi does (the socket dies, new ones fail until the network is back).
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page, type WebSocketRoute } from "playwright-core";
import { ensureWebClient } from "../../scripts/web-client.js";
import { bootPlatform } from "./platform.js";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARGS = [
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-quic",
	"--no-first-run",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
	"--disable-dev-shm-usage",
];

export interface Device {
	viewport: { width: number; height: number };
	isMobile?: boolean;
	hasTouch?: boolean;
	deviceScaleFactor?: number;
	locale?: string;
}
/** A small phone (the narrowest screen the client supports), and a classroom projector. */
export const PHONE: Device = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
export const PROJECTOR: Device = { viewport: { width: 1280, height: 800 } };

export interface Person {
	context: BrowserContext;
	page: Page;
	/** Console errors and CSP violations seen in the page (a test asserts there are none). */
	problems: string[];
	/** Cuts every WebSocket of this context and refuses new ones until `reconnect()`. */
	dropNetwork(): Promise<void>;
	reconnect(): void;
}

export class Browsers {
	private browser: Browser | undefined;
	private readonly people: Person[] = [];
	baseUrl = "";

	async start(): Promise<void> {
		if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
		const built = await ensureWebClient({ log: () => undefined });
		if (built === "unbuildable") throw new Error("The web client is not built and cannot be: run npm ci (vite is a dev dependency of web/)");
		this.baseUrl = (await bootPlatform()).baseUrl;
		this.browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
	}

	async person(opts: Device = PROJECTOR): Promise<Person> {
		const context = await this.browser!.newContext({ ...opts, baseURL: this.baseUrl, locale: opts.locale ?? "en-GB", timezoneId: "Europe/Paris" });
		context.setDefaultTimeout(15_000);
		let dropped = false;
		const open: { page: WebSocketRoute; server: WebSocketRoute }[] = [];
		await context.routeWebSocket(/.*/, ws => {
			if (dropped) return void ws.close({ code: 1006, reason: "network down" });
			const server = ws.connectToServer();
			open.push({ page: ws, server });
		});
		// Chromium's WebSocket throws a SyntaxError for a protocols argument that is an object (the Colyseus
		// SDK relies on it: it tries Node's signature first); Playwright's stand-in does not, so it is wrapped.
		// (A string: tsx would add helpers to a function's source that the page does not have.)
		await context.addInitScript(`(() => {
			const Routed = window.WebSocket;
			function Checked(url, protocols) {
				if (protocols !== undefined && typeof protocols !== "string" && !Array.isArray(protocols)) throw new DOMException("Invalid protocols", "SyntaxError");
				return new Routed(url, protocols);
			}
			Object.assign(Checked, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
			Checked.prototype = Routed.prototype;
			window.WebSocket = Checked;
		})();`);
		const page = await context.newPage();
		const problems: string[] = [];
		page.on("console", msg => {
			if (process.env.LP_E2E_DEBUG) console.log(`      [${msg.type()}] ${msg.text()}`);
			if (msg.type() === "error" && !/Failed to load resource|WebSocket connection|ERR_|status of 4\d\d/.test(msg.text())) problems.push(`console: ${msg.text()}`);
		});
		page.on("pageerror", err => problems.push(`page error: ${err.message}`));
		await page.exposeFunction("__reportCsp", (text: string) => problems.push(`CSP: ${text}`));
		await page.addInitScript(`document.addEventListener("securitypolicyviolation", e => window.__reportCsp(e.violatedDirective + " " + e.blockedURI));`);
		const person: Person = {
			context,
			page,
			problems,
			async dropNetwork() {
				dropped = true;
				for (const { page: p, server } of open.splice(0)) {
					await server.close().catch(() => undefined);
					await p.close({ code: 1006, reason: "network down" }).catch(() => undefined);
				}
			},
			reconnect() {
				dropped = false;
			},
		};
		this.people.push(person);
		return person;
	}

	/** Every problem the pages reported since the last call. */
	takeProblems(): string[] {
		return this.people.flatMap(p => p.problems.splice(0));
	}

	/** On a failure: every open page as a PNG and its text, in the temp folder (the paths are printed). */
	async snapshotAll(title: string): Promise<void> {
		const dir = join(tmpdir(), "lp-browser-e2e", title.replace(/[^A-Za-z0-9]+/g, "-").slice(0, 60));
		await mkdir(dir, { recursive: true });
		for (const [i, p] of this.people.entries()) {
			if (p.page.isClosed()) continue;
			await p.page.screenshot({ path: join(dir, `person-${i}.png`) }).catch(() => undefined);
			const text = await p.page.locator("body").innerText().catch(() => "");
			await writeFile(join(dir, `person-${i}.txt`), `${p.page.url()}\n\n${text}\n\nproblems:\n${p.problems.join("\n")}\n`);
		}
		console.log(`    browser snapshots of the failure: ${dir}`);
	}

	async stop(): Promise<void> {
		for (const p of this.people.splice(0)) await p.context.close().catch(() => undefined);
		await this.browser?.close().catch(() => undefined);
		this.browser = undefined;
	}
}

/** Saves a screenshot into docs/screenshots when SCREENSHOTS=1 (`npm run web:screenshots`). */
export async function screenshot(page: Page, name: string): Promise<void> {
	if (process.env.SCREENSHOTS !== "1") return;
	const dir = new URL("../../docs/screenshots/", import.meta.url);
	await mkdir(dir, { recursive: true });
	await page.screenshot({ path: new URL(`${name}.png`, dir).pathname, fullPage: false });
}

/** Signs in through the form, by email or by school code + username. */
export async function signIn(page: Page, who: { email?: string; username?: string; schoolCode?: string; password: string }, landing: RegExp): Promise<void> {
	await page.goto("/login");
	if (who.email) {
		await page.getByRole("textbox", { name: "Email address" }).fill(who.email);
	} else {
		await page.getByRole("tab", { name: "School code" }).click();
		await page.getByRole("textbox", { name: "School code" }).fill(who.schoolCode!);
		await page.getByRole("textbox", { name: "Username" }).fill(who.username!);
	}
	await page.getByLabel("Password").fill(who.password);
	await page.getByRole("button", { name: "Sign in" }).click();
	await page.waitForURL(landing);
}

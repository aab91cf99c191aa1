/**
 * History-API routing: the gateway answers every client route with index.html, so /teacher/live/…,
 * /chat/… and the mail links (/verify-email?token=…) are real URLs that survive a reload.
 */
import { store, useStore } from "./store.ts";

export interface Location {
	path: string;
	query: URLSearchParams;
}

const read = (): Location => ({ path: location.pathname.replace(/\/+$/, "") || "/", query: new URLSearchParams(location.search) });

export const currentLocation = store<Location>(read());

window.addEventListener("popstate", () => currentLocation.set(read()));

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
	if (opts.replace) history.replaceState(null, "", to);
	else history.pushState(null, "", to);
	currentLocation.set(read());
	window.scrollTo(0, 0);
}

export function useLocation(): Location {
	return useStore(currentLocation);
}

/** `/chat/:id` against `/chat/42` → `{ id: "42" }`, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
	const names: string[] = [];
	const re = new RegExp(`^${pattern.replace(/:([A-Za-z]+)/g, (_, n) => (names.push(n), "([^/]+)"))}$`);
	const m = re.exec(path);
	if (!m) return null;
	return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
}

/** Same-origin link clicks navigate in place (modifier keys and new tabs keep the browser's behaviour). */
export function onLinkClick(event: MouseEvent): void {
	if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
	const a = (event.target as Element | null)?.closest?.("a");
	if (!a || a.target || a.hasAttribute("download") || a.origin !== location.origin) return;
	event.preventDefault();
	navigate(a.pathname + a.search);
}

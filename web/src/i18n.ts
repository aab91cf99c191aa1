/** French and English: the reader's choice, kept in localStorage, first guessed from the browser. */
import { en, fr } from "./messages.ts";
import { store, useStore } from "./store.ts";

export type Locale = "en" | "fr";
export type Key = keyof typeof en;
const DICTS: Record<Locale, Record<Key, string>> = { en, fr };
const KEY = "lp.locale";

function initial(): Locale {
	const saved = localStorage.getItem(KEY);
	if (saved === "en" || saved === "fr") return saved;
	return (navigator.language ?? "en").toLowerCase().startsWith("fr") ? "fr" : "en";
}

export const locale = store<Locale>(initial());
document.documentElement.lang = locale.get();

export function setLocale(next: Locale): void {
	localStorage.setItem(KEY, next);
	document.documentElement.lang = next;
	locale.set(next);
}

/** The text for `key`, with `{name}` placeholders filled from `vars`. */
export function t(key: Key, vars: Record<string, string | number> = {}): string {
	const text = DICTS[locale.get()][key] ?? en[key] ?? key;
	return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** `t`, in a component that renders again when the language changes. */
export function useT(): typeof t {
	useStore(locale);
	return t;
}

const tag = () => (locale.get() === "fr" ? "fr-FR" : "en-GB");
export const fmtDateTime = (iso: string | number | Date) => new Intl.DateTimeFormat(tag(), { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
export const fmtTime = (iso: string | number | Date) => new Intl.DateTimeFormat(tag(), { timeStyle: "short" }).format(new Date(iso));
export const fmtPercent = (ratio: number) => new Intl.NumberFormat(tag(), { style: "percent", maximumFractionDigits: 0 }).format(ratio);
export const fmtNumber = (n: number) => new Intl.NumberFormat(tag()).format(n);
export function fmtDuration(ms: number): string {
	const s = Math.round(ms / 1000);
	const m = Math.floor(s / 60);
	return m > 0 ? `${m} min ${String(s % 60).padStart(2, "0")} s` : `${s} s`;
}

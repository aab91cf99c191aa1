/** Small building blocks: every input has its label, errors are announced, headings take the focus. */
import type { ComponentChildren, InputHTMLAttributes, SelectHTMLAttributes } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../api/http.ts";
import { t, useT } from "../i18n.ts";

export function Page(props: { title: string; children: ComponentChildren; wide?: boolean; actions?: ComponentChildren }) {
	const h1 = useRef<HTMLHeadingElement>(null);
	useEffect(() => {
		document.title = `${props.title} · Learning Platform`;
		// A new screen: screen readers and keyboards start at its heading.
		h1.current?.focus();
	}, [props.title]);
	return (
		<section class={props.wide ? "page wide" : "page"}>
			<div class="page-head">
				<h1 tabIndex={-1} ref={h1}>
					{props.title}
				</h1>
				{props.actions}
			</div>
			{props.children}
		</section>
	);
}

type InputProps = InputHTMLAttributes<HTMLInputElement> & { label: string; id: string; hint?: string };
export function Field({ label, id, hint, ...input }: InputProps) {
	return (
		<div class="field">
			<label for={id}>{label}</label>
			<input id={id} name={id} aria-describedby={hint ? `${id}-hint` : undefined} {...input} />
			{hint && (
				<p class="hint" id={`${id}-hint`}>
					{hint}
				</p>
			)}
		</div>
	);
}

type SelectProps = SelectHTMLAttributes<HTMLSelectElement> & { label: string; id: string; options: { value: string; label: string }[] };
export function Select({ label, id, options, ...select }: SelectProps) {
	return (
		<div class="field">
			<label for={id}>{label}</label>
			<select id={id} name={id} {...select}>
				{options.map(o => (
					<option value={o.value} key={o.value}>
						{o.label}
					</option>
				))}
			</select>
		</div>
	);
}

export function Alert(props: { kind?: "error" | "ok" | "info"; children: ComponentChildren }) {
	const kind = props.kind ?? "error";
	return (
		<div class={`alert ${kind}`} role={kind === "error" ? "alert" : "status"}>
			{props.children}
		</div>
	);
}

/** The text to show for a failure: the API's own message, or a network hint. */
export function errorText(err: unknown): string {
	if (err instanceof ApiError) return err.status === 0 ? t("error.network") : err.message;
	return err instanceof Error ? err.message : String(err);
}

export function Loading() {
	const tr = useT();
	return (
		<p class="loading" role="status">
			{tr("common.loading")}
		</p>
	);
}

export function Badge(props: { count: number; label: string }) {
	if (props.count <= 0) return null;
	return (
		<span class="badge" aria-label={props.label}>
			{props.count > 99 ? "99+" : props.count}
		</span>
	);
}

/** Loads data for a screen; `reload` fetches again. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: unknown; loading: boolean; reload: () => void; set: (d: T) => void } {
	const [data, setData] = useState<T>();
	const [error, setError] = useState<unknown>();
	const [loading, setLoading] = useState(true);
	const [tick, setTick] = useState(0);
	useEffect(() => {
		let live = true;
		setLoading(true);
		load().then(
			d => live && (setData(d), setError(undefined), setLoading(false)),
			e => live && (setError(e), setLoading(false)),
		);
		return () => {
			live = false;
		};
	}, [...deps, tick]);
	const reload = useCallback(() => setTick(n => n + 1), []);
	return { data, error, loading, reload, set: setData };
}

/** A form's submit: disables while busy and keeps the error to show. */
export function useSubmit<A extends unknown[]>(action: (...args: A) => Promise<unknown>) {
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<string | null>(null);
	const run = async (...args: A) => {
		setBusy(true);
		setError(null);
		try {
			await action(...args);
		} catch (err) {
			setError(errorText(err));
		} finally {
			setBusy(false);
		}
	};
	return { busy, error, run, setError };
}

export function fullName(u: { firstName?: string; lastName?: string; username?: string | null; email?: string | null } | undefined): string {
	if (!u) return "?";
	const name = `${u.firstName ?? ""} ${u.lastName ?? ""}`.trim();
	return name || u.username || u.email || "?";
}

export function newClientId(prefix: string): string {
	const random = crypto.getRandomValues(new Uint32Array(2));
	return `${prefix}-${Date.now().toString(36)}-${random[0].toString(36)}${random[1].toString(36)}`;
}

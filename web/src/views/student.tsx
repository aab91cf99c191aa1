/** The student's home: join a live session by its code, and their paths with progress and what is due. */
import { useState } from "preact/hooks";
import { api } from "../api/http.ts";
import type { MyProgress } from "../api/models.ts";
import { fmtDateTime, fmtPercent, useT } from "../i18n.ts";
import { navigate, useLocation } from "../router.ts";
import { Alert, Field, Loading, Page, errorText, useAsync, useSubmit } from "../ui/ui.tsx";
import { admit } from "../realtime/live.ts";

export function JoinForm() {
	const t = useT();
	const [code, setCode] = useState(useLocation().query.get("code") ?? "");
	const submit = useSubmit(async () => {
		const clean = code.replace(/[\s-]/g, "").toUpperCase();
		const admission = await admit(clean);
		navigate(admission.role === "teacher" ? `/teacher/live/${admission.id}` : `/play/${clean}`);
	});
	return (
		<form
			class="join card"
			onSubmit={e => {
				e.preventDefault();
				void submit.run();
			}}
		>
			<h2>{t("join.title")}</h2>
			<Field
				label={t("join.code")}
				id="join-code"
				class="code-input"
				autocomplete="off"
				autocapitalize="characters"
				spellcheck={false}
				maxLength={12}
				required
				value={code}
				onInput={e => setCode((e.target as HTMLInputElement).value)}
			/>
			{submit.error && <Alert>{submit.error}</Alert>}
			<button type="submit" class="primary block" disabled={submit.busy || !code.trim()}>
				{t("join.submit")}
			</button>
		</form>
	);
}

export function JoinView() {
	const t = useT();
	return (
		<Page title={t("join.title")}>
			<JoinForm />
		</Page>
	);
}

export function StudentHome() {
	const t = useT();
	const progress = useAsync(() => api.get("/api/progress/me") as Promise<MyProgress>, []);
	return (
		<Page title={t("student.title")}>
			<JoinForm />
			<h2>{t("student.paths")}</h2>
			{progress.loading && <Loading />}
			{progress.error ? <Alert>{errorText(progress.error)}</Alert> : null}
			{progress.data && progress.data.paths.length === 0 && <p>{t("student.noPaths")}</p>}
			{progress.data && progress.data.streak > 0 && <p class="streak">{t("student.streak", { days: progress.data.streak })}</p>}
			<ul class="cards">
				{progress.data?.paths.map(p => (
					<li class="card path" key={p.pathId}>
						<h3>{p.name}</h3>
						<p class="muted">{p.subject}</p>
						<Meter value={p.mastery} label={t("progress.mastery")} />
						<p>
							{t("progress.steps", { done: p.completedSteps, total: p.totalSteps })} ·{" "}
							{p.dueNow > 0 ? t("progress.dueNow", { count: p.dueNow }) : p.nextDueAt ? t("progress.nextDue", { date: fmtDateTime(p.nextDueAt) }) : t("progress.nothingDue")}
						</p>
						<ol class="steps">
							{p.steps.map(s => (
								<li key={s.stepId} class={s.completed ? "done" : ""}>
									<span>
										{s.title} {s.completed && <span class="tag ok">{t("progress.completed")}</span>}
									</span>
									{s.kind === "revision" ? (
										<a class="button" href={`/revise/${p.pathId}/${s.stepId}`} aria-label={t("student.reviseStep", { step: s.title })}>
											{t("student.revise")}
										</a>
									) : (
										<span class="muted">{t("student.evaluation")}</span>
									)}
								</li>
							))}
						</ol>
					</li>
				))}
			</ul>
		</Page>
	);
}

export function Meter({ value, label }: { value: number; label: string }) {
	return (
		<div class="meter">
			<span>
				{label}: {fmtPercent(value)}
			</span>
			<progress max={1} value={value} aria-label={label}>
				{fmtPercent(value)}
			</progress>
		</div>
	);
}

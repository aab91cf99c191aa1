/** Scenario 2: a solo revision of one step, item by item, with feedback at once, then progress and next due date. */
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError } from "../api/http.ts";
import type { AnswerResult, MyProgress, RevisionNext, RevisionStart, RevisionSummary, StudentItem } from "../api/models.ts";
import { fmtDateTime, fmtDuration, fmtPercent, fmtTime, useT } from "../i18n.ts";
import { Alert, Loading, Page, errorText, newClientId } from "../ui/ui.tsx";
import { AnswerForm, FeedbackView, Prompt } from "./answer.tsx";
import { Meter } from "./student.tsx";

type Phase =
	| { kind: "starting" }
	| { kind: "nothing"; nextDueAt?: string }
	| { kind: "item"; item: StudentItem; shownAt: number }
	| { kind: "feedback"; item: StudentItem; result: AnswerResult }
	/** Only items waiting for their learning step are left: the first comes back at `nextAt`. */
	| { kind: "waiting"; nextAt: string }
	| { kind: "summary"; summary: RevisionSummary; progress?: MyProgress }
	| { kind: "error"; message: string };

export function ReviseView({ pathId, stepId }: { pathId: string; stepId: string }) {
	const t = useT();
	const [phase, setPhase] = useState<Phase>({ kind: "starting" });
	const [busy, setBusy] = useState(false);
	const [done, setDone] = useState(0);
	const [total, setTotal] = useState(0);
	const session = useRef<string | undefined>(undefined);
	const pending = useRef<{ clientId: string; itemId: string } | null>(null);

	useEffect(() => {
		api.post("/api/revision-sessions", { body: { pathId, stepId } }).then(
			(started: RevisionStart) => {
				session.current = started.id;
				setTotal(started.queue);
				setPhase(started.item ? { kind: "item", item: started.item, shownAt: performance.now() } : { kind: "nothing" });
			},
			err => {
				if (err instanceof ApiError && err.type === "NOTHING_TO_REVIEW") setPhase({ kind: "nothing", nextDueAt: (err.data as { nextDueAt?: string } | undefined)?.nextDueAt });
				else setPhase({ kind: "error", message: errorText(err) });
			},
		);
	}, [pathId, stepId]);

	const answer = async (item: StudentItem, shownAt: number, value: unknown) => {
		if (busy) return;
		setBusy(true);
		// The same clientId if this answer is sent again: the platform keeps the first.
		if (pending.current?.itemId !== item.id) pending.current = { clientId: newClientId("rev"), itemId: item.id };
		try {
			const result: AnswerResult = await api.post("/api/revision-sessions/{id}/answers", {
				params: { id: session.current! },
				body: { clientId: pending.current.clientId, itemId: item.id, answer: value, responseTimeMs: Math.round(performance.now() - shownAt) } as never,
			});
			pending.current = null;
			setDone(d => d + 1);
			setTotal(tot => Math.max(tot, done + 1 + result.remaining));
			setPhase({ kind: "feedback", item, result });
		} catch (err) {
			setPhase({ kind: "error", message: errorText(err) });
		} finally {
			setBusy(false);
		}
	};

	const next = async (result: AnswerResult) => {
		if (result.next) return setPhase({ kind: "item", item: result.next, shownAt: performance.now() });
		if (result.nextAt) return setPhase({ kind: "waiting", nextAt: result.nextAt });
		await finish();
	};

	// Waiting for a learning step: ask the session again when it is due (the server decides what comes back).
	const waitingUntil = phase.kind === "waiting" ? phase.nextAt : null;
	useEffect(() => {
		if (!waitingUntil) return;
		const timer = setTimeout(async () => {
			try {
				const n: RevisionNext = await api.get("/api/revision-sessions/{id}/next", { params: { id: session.current! } });
				if (n.item) setPhase({ kind: "item", item: n.item, shownAt: performance.now() });
				else if (n.waiting && n.nextAt) setPhase({ kind: "waiting", nextAt: n.nextAt });
				else await finish();
			} catch (err) {
				setPhase({ kind: "error", message: errorText(err) });
			}
		}, Math.max(0, new Date(waitingUntil).getTime() - Date.now()) + 250);
		return () => clearTimeout(timer);
	}, [waitingUntil]);

	const finish = async () => {
		setBusy(true);
		try {
			const summary: RevisionSummary = await api.post("/api/revision-sessions/{id}/end", { params: { id: session.current! } });
			const progress: MyProgress = await api.get("/api/progress/me").catch(() => undefined);
			setPhase({ kind: "summary", summary, progress });
		} catch (err) {
			setPhase({ kind: "error", message: errorText(err) });
		} finally {
			setBusy(false);
		}
	};

	const onPath = phase.kind === "summary" ? phase.progress?.paths.find(p => p.pathId === pathId) : undefined;
	const onStep = onPath?.steps.find(s => s.stepId === stepId);
	return (
		<Page title={t("revise.title")}>
			{total > 0 && phase.kind !== "summary" && (
				<div class="meter">
					<span>{t("revise.progress", { done, total })}</span>
					<progress max={total} value={done} aria-label={t("revise.progress", { done, total })} />
				</div>
			)}
			{phase.kind === "starting" && <Loading />}
			{phase.kind === "error" && <Alert>{phase.message}</Alert>}
			{phase.kind === "nothing" && (
				<div class="card">
					<p>{t("revise.nothing")}</p>
					{phase.nextDueAt && <p class="next-due">{t("progress.nextDue", { date: fmtDateTime(phase.nextDueAt) })}</p>}
					<a class="button" href="/student">
						{t("common.back")}
					</a>
				</div>
			)}
			{phase.kind === "item" && (
				<div class="card play">
					<Prompt item={phase.item} />
					<AnswerForm item={phase.item} disabled={busy} onAnswer={v => void answer(phase.item, phase.shownAt, v)} key={phase.item.id} />
					<p class="center">
						<button type="button" class="link" onClick={() => void finish()} disabled={busy}>
							{t("revise.stop")}
						</button>
					</p>
				</div>
			)}
			{phase.kind === "feedback" && (
				<div class="card play">
					<Prompt item={phase.item} />
					<FeedbackView item={phase.item} feedback={phase.result.feedback} correct={phase.item.kind === "flashcard" ? undefined : phase.result.correct} />
					<button type="button" class="primary block" autoFocus onClick={() => void next(phase.result)} disabled={busy}>
						{phase.result.next ? t("revise.next") : phase.result.nextAt ? t("revise.continue") : t("revise.finish")}
					</button>
				</div>
			)}
			{phase.kind === "waiting" && (
				<div class="card play" role="status">
					<p>{t("revise.waiting", { time: fmtTime(phase.nextAt) })}</p>
					<button type="button" class="primary block" onClick={() => void finish()} disabled={busy}>
						{t("revise.finishNow")}
					</button>
				</div>
			)}
			{phase.kind === "summary" && (
				<div class="card summary">
					<h2>{t("revise.summary")}</h2>
					<dl class="stats">
						<div>
							<dt>{t("revise.answered")}</dt>
							<dd>{phase.summary.answered}</dd>
						</div>
						<div>
							<dt>{t("revise.success")}</dt>
							<dd>{fmtPercent(phase.summary.successRate)}</dd>
						</div>
						<div>
							<dt>{t("revise.time")}</dt>
							<dd>{fmtDuration(phase.summary.timeSpentMs)}</dd>
						</div>
					</dl>
					{onStep && (
						<>
							<Meter value={onStep.mastery} label={t("progress.mastery")} />
							<p>{onStep.completed ? t("revise.stepCompleted") : t("revise.stepOpen")}</p>
						</>
					)}
					{onPath && (
						<p class="next-due">{onPath.dueNow > 0 ? t("progress.dueNow", { count: onPath.dueNow }) : onPath.nextDueAt ? t("progress.nextDue", { date: fmtDateTime(onPath.nextDueAt) }) : t("progress.nothingDue")}</p>
					)}
					<a class="button primary" href="/student">
						{t("common.back")}
					</a>
				</div>
			)}
		</Page>
	);
}

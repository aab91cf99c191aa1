/**
 * The teacher's console for a live group session, made for a projector: the join code in large type, who
 * is in, the live count of answers, the question and its countdown, the reveal with the distribution,
 * and the leaderboard. The buttons drive the room (start, next, reveal, pause, resume, end).
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { api } from "../api/http.ts";
import type { Contact, Feedback, LiveSession, Standing, StudentItem } from "../api/models.ts";
import { fmtNumber, useT } from "../i18n.ts";
import { LiveLink } from "../realtime/live.ts";
import { store, useStore } from "../store.ts";
import { Alert, Loading, Page, errorText, useAsync } from "../ui/ui.tsx";
import { expectedText, Prompt } from "./answer.tsx";
import { Countdown, LinkBanner, ServerClock } from "./live-common.tsx";

interface Player {
	score: number;
	rank: number;
	answered: boolean;
	connected: boolean;
}

export function useNames(): Map<string, string> {
	const contacts = useAsync(() => api.get("/api/contacts") as Promise<{ rows: Contact[] }>, []);
	return useMemo(() => new Map((contacts.data?.rows ?? []).map(c => [c.id, `${c.firstName} ${c.lastName}`.trim()])), [contacts.data]);
}

export function ConsoleView({ id }: { id: string }) {
	const t = useT();
	const record = useAsync(() => api.get("/api/live-sessions/{id}", { params: { id } }) as Promise<LiveSession>, [id]);
	const names = useNames();
	if (record.loading) return <Loading />;
	if (record.error || !record.data)
		return (
			<Page title={t("console.title")}>
				<Alert>{errorText(record.error)}</Alert>
			</Page>
		);
	if (record.data.status === "ended") return <ResultsView session={record.data} names={names} />;
	return <LiveConsole session={record.data} names={names} onEnded={record.reload} />;
}

const NO_STATUS = store<"connecting">("connecting");
const NO_STATE = store<any>(null);

function LiveConsole({ session, names, onEnded }: { session: LiveSession; names: Map<string, string>; onEnded: () => void }) {
	const t = useT();
	const [link, setLink] = useState<LiveLink>();
	const [failure, setFailure] = useState<string>();
	const [commandError, setCommandError] = useState<string>();
	const [question, setQuestion] = useState<{ index: number; count: number; item: StudentItem }>();
	const [reveal, setReveal] = useState<{ questionIndex: number; feedback: Feedback; distribution: Record<string, number> }>();
	const [ended, setEnded] = useState<{ leaderboard: Standing[]; reason: string }>();
	const [busy, setBusy] = useState(false);
	const clock = useMemo(() => new ServerClock(), []);
	const code = session.code ?? session.joinCode ?? "";

	useEffect(() => {
		const live = new LiveLink(session.roomId);
		live.on("question", q => {
			clock.sync(q.deadline, q.remainingMs);
			setQuestion(q);
		});
		live.on("reveal", r => setReveal(r));
		live.on("ended", e => {
			live.markEnded();
			setEnded(e);
		});
		live.on("done", () => setBusy(false));
		live.on("error", e => {
			setBusy(false);
			setCommandError(e.message);
		});
		setLink(live);
		live.connect().catch(err => setFailure(errorText(err)));
		return () => void live.leave();
	}, [session.roomId]);

	const status = useStore(link?.status ?? NO_STATUS);
	const state = useStore(link?.state ?? NO_STATE);
	if (failure)
		return (
			<Page title={t("console.title")}>
				<Alert>{failure}</Alert>
			</Page>
		);
	if (!link || !state) return <Loading />;
	if (ended) return <ResultsView session={{ ...session, leaderboard: ended.leaderboard }} names={names} onBack={onEnded} />;

	const command = (type: string) => {
		setCommandError(undefined);
		setBusy(true);
		link.send(type);
	};
	const players = Object.entries((state.players ?? {}) as Record<string, Player>);
	const connected = players.filter(([, p]) => p.connected).length;
	const phase: string = state.status;
	const last = state.questionIndex + 1 >= state.questionCount;
	const joinUrl = `${location.host}/join`;
	const standings = [...players].sort((a, b) => a[1].rank - b[1].rank || b[1].score - a[1].score);
	const name = (studentId: string) => names.get(studentId) ?? t("console.student");

	return (
		<Page title={t("console.title")} wide actions={<FullscreenButton />}>
			<LinkBanner status={status} />
			<div class="console">
				<aside class="joinbox" aria-label={t("console.howToJoin")}>
					<p>{t("console.joinAt", { url: joinUrl })}</p>
					<p class="joincode" aria-label={t("console.codeIs", { code: code.split("").join(" ") })}>
						{code}
					</p>
					<p class="muted">{t("console.connected", { count: connected, total: players.length })}</p>
				</aside>
				<div class="stage">
					<div class="controls" role="toolbar" aria-label={t("console.controls")}>
						{phase === "lobby" && (
							<button type="button" class="primary big" disabled={busy || status !== "live"} onClick={() => command("start")}>
								{t("console.start")}
							</button>
						)}
						{phase === "question" && (
							<button type="button" class="primary big" disabled={busy} onClick={() => command("reveal")}>
								{t("console.reveal")}
							</button>
						)}
						{phase === "revealed" && (
							<button type="button" class="primary big" disabled={busy} onClick={() => command("next")}>
								{last ? t("console.finish") : t("console.next")}
							</button>
						)}
						{(phase === "question" || phase === "revealed") && (
							<button type="button" disabled={busy} onClick={() => command("pause")}>
								{t("console.pause")}
							</button>
						)}
						{phase === "paused" && (
							<button type="button" class="primary" disabled={busy} onClick={() => command("resume")}>
								{t("console.resume")}
							</button>
						)}
						<button
							type="button"
							class="danger"
							disabled={busy}
							onClick={() => {
								if (confirm(t("console.confirmEnd"))) command("end");
							}}
						>
							{t("console.end")}
						</button>
					</div>
					{commandError && <Alert>{commandError}</Alert>}
					{phase === "lobby" && <p class="big center">{t("console.waiting", { count: players.length })}</p>}
					{phase === "paused" && <p class="big center">{t("live.paused")}</p>}
					{question && (phase === "question" || phase === "revealed" || phase === "paused") && (
						<div class="projected">
							<div class="qhead">
								<span>{t("live.questionOf", { n: question.index + 1, count: question.count })}</span>
								{(phase === "question" || (phase === "paused" && !reveal)) && (
									<Countdown deadline={clock.local(state.deadline)} paused={phase === "paused"} remainingMs={state.remainingMs} />
								)}
							</div>
							<Prompt item={question.item} large />
							{question.item.choices && (
								<ol class="projected-choices">
									{question.item.choices.map((c, i) => (
										<li class={`c${i % 4} ${reveal?.questionIndex === question.index && isRight(c.id, reveal.feedback) ? "right" : ""}`} key={c.id}>
											{c.text}
											{reveal?.questionIndex === question.index && <span class="count">{reveal.distribution[c.id] ?? 0}</span>}
										</li>
									))}
								</ol>
							)}
							<div class="answered" aria-live="polite">
								<span class="answered-count">{t("console.answered", { count: state.answeredCount, total: players.length })}</span>
								<progress max={Math.max(1, players.length)} value={state.answeredCount} aria-hidden="true" />
							</div>
							{reveal && reveal.questionIndex === question.index && (
								<div class="feedback right">
									<p>
										{t("answer.expected")} <strong class="expected">{expectedText(question.item, reveal.feedback, t)}</strong>
									</p>
									{reveal.feedback.explanation && <p>{reveal.feedback.explanation}</p>}
									{!question.item.choices && <Distribution distribution={reveal.distribution} />}
								</div>
							)}
						</div>
					)}
				</div>
				<aside class="board">
					<h2>{phase === "lobby" ? t("console.players") : t("console.leaderboard")}</h2>
					<ol class="leaderboard">
						{standings.slice(0, 30).map(([studentId, p]) => (
							<li key={studentId} class={p.connected ? "" : "away"}>
								<span class="who">
									<span class={`dot ${p.connected ? "on" : "off"}`} aria-hidden="true" />
									{phase !== "lobby" && <span class="rank">{p.rank}</span>}
									{name(studentId)}
									{!p.connected && <span class="sr-only"> ({t("console.away")})</span>}
								</span>
								{phase === "question" ? (
									<span class={p.answered ? "tag ok" : "tag"}>{p.answered ? t("console.hasAnswered") : "…"}</span>
								) : (
									phase !== "lobby" && <span class="score">{fmtNumber(p.score)}</span>
								)}
							</li>
						))}
					</ol>
				</aside>
			</div>
		</Page>
	);
}

function isRight(choiceId: string, feedback: Feedback): boolean {
	return feedback.expected?.choiceId === choiceId || (feedback.expected?.choiceIds ?? []).includes(choiceId);
}

function Distribution({ distribution }: { distribution: Record<string, number> }) {
	const t = useT();
	const entries = Object.entries(distribution);
	if (entries.length === 0) return null;
	return (
		<ul class="distribution" aria-label={t("console.distribution")}>
			{entries.map(([key, count]) => (
				<li key={key}>
					{key === "right" ? t("console.rightCount") : key === "wrong" ? t("console.wrongCount") : key === "true" ? t("answer.true") : key === "false" ? t("answer.false") : key}: <strong>{count}</strong>
				</li>
			))}
		</ul>
	);
}

function FullscreenButton() {
	const t = useT();
	if (!document.fullscreenEnabled) return null;
	return (
		<button type="button" onClick={() => (document.fullscreenElement ? document.exitFullscreen() : document.documentElement.requestFullscreen())}>
			{t("console.fullscreen")}
		</button>
	);
}

export function ResultsView({ session, names, onBack }: { session: LiveSession; names: Map<string, string>; onBack?: () => void }) {
	const t = useT();
	const board = [...(session.leaderboard ?? [])].sort((a, b) => a.rank - b.rank);
	return (
		<Page title={t("results.title")} wide>
			<p>{t("results.intro", { count: board.length })}</p>
			<table class="results">
				<caption class="sr-only">{t("results.title")}</caption>
				<thead>
					<tr>
						<th scope="col">{t("results.rank")}</th>
						<th scope="col">{t("results.student")}</th>
						<th scope="col">{t("results.score")}</th>
						<th scope="col">{t("results.correct")}</th>
					</tr>
				</thead>
				<tbody>
					{board.map(s => (
						<tr key={s.studentId}>
							<td>{s.rank}</td>
							<th scope="row">{names.get(s.studentId) ?? t("console.student")}</th>
							<td>{fmtNumber(s.score)}</td>
							<td>
								{s.correct} / {s.answered}
							</td>
						</tr>
					))}
				</tbody>
			</table>
			<p>
				<a class="button" href="/teacher/live/new" onClick={onBack}>
					{t("results.another")}
				</a>
			</p>
		</Page>
	);
}

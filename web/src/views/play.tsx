/**
 * A student in a live group session, on a phone: the question, one tap to answer, the acknowledgement once
 * the answer is recorded, then at the reveal whether it was right, the points and their rank. Survives a
 * network drop (realtime/live.ts): the seat, the score and an answer sent meanwhile are kept.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { Feedback, Standing, StudentItem } from "../api/models.ts";
import { session } from "../api/session.ts";
import { fmtNumber, useT } from "../i18n.ts";
import { admit, LiveLink } from "../realtime/live.ts";
import { navigate } from "../router.ts";
import { store, useStore } from "../store.ts";
import { Alert, Loading, Page, errorText, newClientId } from "../ui/ui.tsx";
import { AnswerForm, FeedbackView, Prompt } from "./answer.tsx";
import { Countdown, LinkBanner, ServerClock } from "./live-common.tsx";

interface Question {
	index: number;
	count: number;
	item: StudentItem;
}
interface Result {
	questionIndex: number;
	answered: boolean;
	correct: boolean;
	points: number;
	score: number;
	rank: number;
}

export function PlayView({ code }: { code: string }) {
	const t = useT();
	const me = session.get()?.user;
	const [link, setLink] = useState<LiveLink>();
	const [failure, setFailure] = useState<string>();
	const clock = useMemo(() => new ServerClock(), []);
	const [question, setQuestion] = useState<Question>();
	const [sent, setSent] = useState<{ index: number; clientId: string; answer: unknown }>();
	const [acked, setAcked] = useState<number>(-1);
	const [answerError, setAnswerError] = useState<string>();
	const [reveal, setReveal] = useState<{ questionIndex: number; feedback: Feedback }>();
	const [result, setResult] = useState<Result>();
	const [ended, setEnded] = useState<{ leaderboard: Standing[] }>();
	// The latest values, for handlers and timers that outlive a render.
	const sentRef = useRef(sent);
	sentRef.current = sent;
	const ackedRef = useRef(acked);
	ackedRef.current = acked;
	const questionRef = useRef(question);
	questionRef.current = question;

	useEffect(() => {
		let live: LiveLink | undefined;
		let cancelled = false;
		admit(code).then(
			async admission => {
				if (cancelled) return;
				if (admission.role === "teacher") return navigate(`/teacher/live/${admission.id}`, { replace: true });
				live = new LiveLink(admission.roomId, code);
				live.on("question", (q: Question & { deadline: number; remainingMs: number }) => {
					clock.sync(q.deadline, q.remainingMs);
					setQuestion(q);
					setReveal(r => (r && r.questionIndex === q.index ? r : undefined));
					setAnswerError(undefined);
				});
				live.on("answered", (a: { questionIndex: number; clientId: string }) => setAcked(i => Math.max(i, a.questionIndex)));
				live.on("reveal", (r: { questionIndex: number; feedback: Feedback }) => setReveal(r));
				live.on("result", (r: Result) => setResult(r));
				live.on("ended", (e: { leaderboard: Standing[] }) => {
					live?.markEnded();
					setEnded(e);
				});
				live.on("error", (e: { command?: string; message: string; type: string; clientId?: string }) => {
					// Only the answer waiting for its acknowledgement: a late repeat of an older one says nothing new.
					const pending = sentRef.current;
					if (e.command !== "answer" || !pending || e.clientId !== pending.clientId) return;
					if (e.type === "ALREADY_ANSWERED") return setAcked(i => Math.max(i, pending.index));
					setAnswerError(e.message);
					setSent(undefined);
				});
				setLink(live);
				try {
					await live.connect();
				} catch (err) {
					setFailure(errorText(err));
				}
			},
			err => setFailure(errorText(err)),
		);
		return () => {
			cancelled = true;
			void live?.leave();
		};
	}, [code]);

	const status = useStore(link?.status ?? NO_STATUS);
	const state = useStore(link?.state ?? NO_STATE);

	// Back from a drop with an answer of the open question still unacknowledged: send it again (same
	// clientId: recorded once). The SDK usually delivers the queued one first, and then this does nothing.
	useEffect(() => {
		if (status !== "live" || !link) return;
		const id = setTimeout(() => {
			const pending = sentRef.current;
			if (pending && ackedRef.current < pending.index && questionRef.current?.index === pending.index) {
				link.send("answer", { questionIndex: pending.index, clientId: pending.clientId, answer: pending.answer });
			}
		}, 1500);
		return () => clearTimeout(id);
	}, [status]);

	if (failure)
		return (
			<Page title={t("live.title")}>
				<Alert>{failure}</Alert>
				<a class="button" href="/join">
					{t("common.back")}
				</a>
			</Page>
		);
	if (!link || !state) return <Loading />;

	const phase: string = ended ? "ended" : state.status;
	const players = Object.keys(state.players ?? {}).length;
	const mine = me ? state.players?.[me.id] : undefined;
	const answer = (value: unknown) => {
		if (!question) return;
		const clientId = sent?.index === question.index ? sent.clientId : newClientId(`q${question.index}`);
		setSent({ index: question.index, clientId, answer: value });
		setAnswerError(undefined);
		link.send("answer", { questionIndex: question.index, clientId, answer: value });
	};
	const answeredThis = question && sent?.index === question.index;
	const ackThis = question && acked >= question.index;
	return (
		<Page title={t("live.title")}>
			<LinkBanner status={status} />
			<div class="play-head">
				<span class="tag">{t("live.code", { code })}</span>
				{mine && mine.rank > 0 && <span class="tag">{t("live.rankShort", { rank: mine.rank, of: players })}</span>}
				{mine && <span class="tag">{t("live.score", { score: fmtNumber(mine.score) })}</span>}
			</div>
			{phase === "lobby" && (
				<div class="card center lobby" role="status">
					<p class="big">{t("live.youAreIn")}</p>
					<p>{t("live.waitStart")}</p>
				</div>
			)}
			{phase === "paused" && (
				<div class="card center" role="status">
					<p class="big">{t("live.paused")}</p>
				</div>
			)}
			{phase === "question" && question && question.index === state.questionIndex && (
				<div class="card play">
					<div class="qhead">
						<span>{t("live.questionOf", { n: question.index + 1, count: question.count })}</span>
						<Countdown deadline={clock.local(state.deadline)} />
					</div>
					<Prompt item={question.item} large />
					{!answeredThis && <AnswerForm item={question.item} onAnswer={answer} key={question.index} />}
					{answeredThis && (
						<p class={`ack ${ackThis ? "ok" : ""}`} role="status">
							{ackThis ? t("live.received") : t("live.sending")}
						</p>
					)}
					{answerError && <Alert>{answerError}</Alert>}
				</div>
			)}
			{phase === "revealed" && question && (
				<div class="card play">
					<p class="muted">{t("live.questionOf", { n: question.index + 1, count: question.count })}</p>
					<Prompt item={question.item} />
					{result && result.questionIndex === question.index && !result.answered && <p class="verdict">{t("live.noAnswer")}</p>}
					{reveal && reveal.questionIndex === question.index && (
						<FeedbackView
							item={question.item}
							feedback={reveal.feedback}
							correct={result && result.questionIndex === question.index && result.answered ? result.correct : undefined}
							points={result && result.questionIndex === question.index && result.answered ? result.points : undefined}
						/>
					)}
					{result && result.questionIndex === question.index && (
						<p class="rank big" role="status">
							{t("live.rank", { rank: result.rank, of: players })}
						</p>
					)}
					<p class="muted center">{t("live.waitNext")}</p>
				</div>
			)}
			{phase === "ended" && (
				<div class="card center summary" role="status">
					<p class="big">{t("live.ended")}</p>
					{me && ended && <FinalPlace me={me.id} leaderboard={ended.leaderboard} />}
					<a class="button primary" href="/student">
						{t("common.back")}
					</a>
				</div>
			)}
		</Page>
	);
}

function FinalPlace({ me, leaderboard }: { me: string; leaderboard: Standing[] }) {
	const t = useT();
	const mine = leaderboard.find(s => s.studentId === me);
	if (!mine) return null;
	return (
		<>
			<p class="rank big">{t("live.rank", { rank: mine.rank, of: leaderboard.length })}</p>
			<p>{t("live.finalScore", { score: fmtNumber(mine.score), correct: mine.correct, answered: mine.answered })}</p>
		</>
	);
}

const NO_STATUS = store<"connecting">("connecting");
const NO_STATE = store<any>(null);

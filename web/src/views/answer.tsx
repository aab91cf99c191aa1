/** Answering one question (live or solo), and what the answer key says once it is known. */
import { useState } from "preact/hooks";
import type { Feedback, StudentItem } from "../api/models.ts";
import { useT } from "../i18n.ts";

export function Prompt({ item, large }: { item: StudentItem; large?: boolean }) {
	return (
		<div class={large ? "prompt large" : "prompt"}>
			<p class="item-title">{item.title}</p>
			<p class="item-text">{item.prompt ?? item.front ?? item.markdown}</p>
		</div>
	);
}

export function AnswerForm(props: { item: StudentItem; disabled?: boolean; onAnswer: (answer: unknown) => void }) {
	const t = useT();
	const { item, disabled } = props;
	const [text, setText] = useState("");
	const [picked, setPicked] = useState<string[]>([]);
	const submitText = (e: Event) => {
		e.preventDefault();
		if (!text.trim()) return;
		props.onAnswer(item.kind === "numeric" ? { value: text.trim() } : { text: text.trim() });
	};
	switch (item.kind) {
		case "single_choice":
			return (
				<div class="choices" role="group" aria-label={t("answer.choose")}>
					{item.choices?.map((c, i) => (
						<button type="button" class={`choice c${i % 4}`} disabled={disabled} onClick={() => props.onAnswer({ choiceId: c.id })} key={c.id}>
							{c.text}
						</button>
					))}
				</div>
			);
		case "multiple_choice":
			return (
				<form
					class="multi"
					onSubmit={e => {
						e.preventDefault();
						props.onAnswer({ choiceIds: picked });
					}}
				>
					<fieldset disabled={disabled}>
						<legend>{t("answer.chooseAll")}</legend>
						{item.choices?.map(c => (
							<label class="check" key={c.id}>
								<input
									type="checkbox"
									checked={picked.includes(c.id)}
									onChange={e => setPicked(p => ((e.target as HTMLInputElement).checked ? [...p, c.id] : p.filter(x => x !== c.id)))}
								/>
								{c.text}
							</label>
						))}
						<button type="submit" class="primary">
							{t("answer.submit")}
						</button>
					</fieldset>
				</form>
			);
		case "true_false":
			return (
				<div class="choices two" role="group" aria-label={t("answer.choose")}>
					<button type="button" class="choice c1" disabled={disabled} onClick={() => props.onAnswer({ value: true })}>
						{t("answer.true")}
					</button>
					<button type="button" class="choice c0" disabled={disabled} onClick={() => props.onAnswer({ value: false })}>
						{t("answer.false")}
					</button>
				</div>
			);
		case "short_answer":
		case "numeric":
			return (
				<form class="typed" onSubmit={submitText}>
					<label for="answer-input">{item.kind === "numeric" ? t("answer.number", { unit: item.unit ?? "" }).trim() : t("answer.yourAnswer")}</label>
					<div class="row">
						<input
							id="answer-input"
							autocomplete="off"
							inputMode={item.kind === "numeric" ? "decimal" : "text"}
							value={text}
							disabled={disabled}
							onInput={e => setText((e.target as HTMLInputElement).value)}
						/>
						<button type="submit" class="primary" disabled={disabled || !text.trim()}>
							{t("answer.submit")}
						</button>
					</div>
				</form>
			);
		case "flashcard":
			return (
				<div class="choices four" role="group" aria-label={t("answer.rateRecall")}>
					{([1, 2, 3, 4] as const).map(r => (
						<button type="button" class={`choice c${r - 1}`} disabled={disabled} onClick={() => props.onAnswer({ rating: r })} key={r}>
							{t(`answer.rating${r}`)}
						</button>
					))}
				</div>
			);
		default:
			return null;
	}
}

/** The answer key in words: the right choice's text, True/False, the accepted answers, the value. */
export function expectedText(item: StudentItem | undefined, feedback: Feedback, t: ReturnType<typeof useT>): string | undefined {
	const e = feedback.expected;
	if (feedback.back) return feedback.back;
	if (!e) return undefined;
	const choice = (id: string) => item?.choices?.find(c => c.id === id)?.text ?? id;
	if (e.choiceId) return choice(e.choiceId);
	if (e.choiceIds) return e.choiceIds.map(choice).join(", ");
	if (e.accepted) return e.accepted.join(" / ");
	if (typeof e.value === "boolean") return e.value ? t("answer.true") : t("answer.false");
	if (typeof e.value === "number") return `${e.value}${e.tolerance ? ` ± ${e.tolerance}` : ""}${e.unit ? ` ${e.unit}` : ""}`;
	return undefined;
}

export function FeedbackView(props: { item?: StudentItem; feedback: Feedback; correct?: boolean; points?: number }) {
	const t = useT();
	const expected = expectedText(props.item, props.feedback, t);
	return (
		<div class={`feedback ${props.correct === undefined ? "" : props.correct ? "right" : "wrong"}`} role="status">
			{props.correct !== undefined && <p class="verdict">{props.correct ? t("answer.right") : t("answer.wrong")}</p>}
			{props.points !== undefined && <p class="points">{t("live.points", { points: props.points })}</p>}
			{expected && (
				<p>
					{t("answer.expected")} <strong class="expected">{expected}</strong>
				</p>
			)}
			{props.feedback.explanation && <p class="explanation">{props.feedback.explanation}</p>}
		</div>
	);
}

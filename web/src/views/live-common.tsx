/** What the teacher's console and the student's screen share: the countdown, the connection banner, names. */
import { useEffect, useState } from "preact/hooks";
import type { LinkStatus } from "../realtime/live.ts";
import { useT } from "../i18n.ts";

/** Seconds left until a local deadline (ms, this browser's clock). */
export function Countdown({ deadline, paused, remainingMs }: { deadline: number; paused?: boolean; remainingMs?: number }) {
	const t = useT();
	const [now, setNow] = useState(Date.now());
	useEffect(() => {
		if (paused) return;
		const id = setInterval(() => setNow(Date.now()), 250);
		return () => clearInterval(id);
	}, [paused, deadline]);
	const left = Math.max(0, Math.ceil((paused ? (remainingMs ?? 0) : deadline - now) / 1000));
	return (
		<div class={`countdown ${left <= 5 ? "low" : ""}`} role="timer" aria-label={t("live.secondsLeft", { seconds: left })}>
			{left}
		</div>
	);
}

export function LinkBanner({ status }: { status: LinkStatus }) {
	const t = useT();
	if (status === "reconnecting")
		return (
			<div class="banner warn" role="status">
				{t("live.reconnecting")}
			</div>
		);
	if (status === "lost")
		return (
			<div class="banner error" role="alert">
				{t("live.lost")}
			</div>
		);
	return null;
}

/**
 * A question's deadline on this browser's clock. The server sends its own epoch deadline and the time
 * left; their difference is the clock offset, so a deadline moved later (pause, resume) converts too.
 */
export class ServerClock {
	private offset = 0;
	sync(serverDeadline: number, remainingMs: number): void {
		if (serverDeadline > 0) this.offset = serverDeadline - (Date.now() + remainingMs);
	}
	local(serverDeadline: number): number {
		return serverDeadline - this.offset;
	}
}

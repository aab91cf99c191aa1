/** The in-app notifications, newest first; the bell's count goes down as they are read. */
import { useEffect } from "preact/hooks";
import { api } from "../api/http.ts";
import type { Notification, Page as PageOf } from "../api/models.ts";
import { fmtDateTime, useT } from "../i18n.ts";
import { lastNotification, unreadNotifications } from "../realtime/user-channel.ts";
import { useStore } from "../store.ts";
import { Alert, Loading, Page, errorText, useAsync, useSubmit } from "../ui/ui.tsx";

export function NotificationsView() {
	const t = useT();
	const list = useAsync(() => api.get("/api/notifications", { query: { pageSize: 50 } }) as Promise<PageOf<Notification>>, []);
	const arrived = useStore(lastNotification);
	useEffect(() => {
		if (arrived) list.reload();
	}, [arrived]);
	const readAll = useSubmit(async () => {
		await api.post("/api/notifications/read-all");
		unreadNotifications.set(0);
		list.reload();
	});
	return (
		<Page
			title={t("notifications.title")}
			actions={
				<button type="button" onClick={() => void readAll.run()} disabled={readAll.busy}>
					{t("notifications.readAll")}
				</button>
			}
		>
			{list.loading && !list.data && <Loading />}
			{list.error ? <Alert>{errorText(list.error)}</Alert> : null}
			{list.data?.rows.length === 0 && <p>{t("notifications.none")}</p>}
			<ul class="notifications">
				{list.data?.rows.map(n => (
					<li key={n.id} class={n.readAt ? "" : "unread"}>
						<p>
							<strong>{n.title}</strong>
						</p>
						{n.body && <p>{n.body}</p>}
						<p class="muted">{fmtDateTime(n.createdAt)}</p>
					</li>
				))}
			</ul>
		</Page>
	);
}

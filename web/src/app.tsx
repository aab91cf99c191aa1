/** The shell: header (navigation by role, unread badges, language, sign out), live toasts, and the routes. */
import { useEffect } from "preact/hooks";
import { hasRole, session, signOut } from "./api/session.ts";
import type { User } from "./api/models.ts";
import { locale, setLocale, useT, type Locale } from "./i18n.ts";
import { channelOpen, dismissToast, startUserChannel, stopUserChannel, toasts, unreadConversations, unreadNotifications } from "./realtime/user-channel.ts";
import { currentLocation, match, navigate, onLinkClick, useLocation } from "./router.ts";
import { useStore } from "./store.ts";
import { Badge, Page, fullName } from "./ui/ui.tsx";
import { ForgotPasswordView, LoginView, PasswordLinkView, VerifyEmailView } from "./views/auth.tsx";
import { ChatListView, ConversationView } from "./views/chat.tsx";
import { ConsoleView } from "./views/console.tsx";
import { NotificationsView } from "./views/notifications.tsx";
import { PlayView } from "./views/play.tsx";
import { ReviseView } from "./views/revise.tsx";
import { JoinView, StudentHome } from "./views/student.tsx";
import { ClassesView, ClassView, ContentView, LiveNewView, PathsView, TeacherHome } from "./views/teacher.tsx";

const isTeacher = (u?: User) => hasRole(u, "teacher", "school_admin");
const home = (u?: User) => (!u ? "/login" : isTeacher(u) ? "/teacher" : "/student");

/** Pages that work signed out (the mail links open from a mail client, signed in or not). */
const PUBLIC = ["/login", "/forgot-password", "/verify-email", "/accept-invitation", "/reset-password"];

function routeFor(path: string, user: User | undefined) {
	let p: Record<string, string> | null;
	if (path === "/login") return <LoginView />;
	if (path === "/forgot-password") return <ForgotPasswordView />;
	if (path === "/verify-email") return <VerifyEmailView />;
	if (path === "/accept-invitation") return <PasswordLinkView kind="invitation" key="invitation" />;
	if (path === "/reset-password") return <PasswordLinkView kind="reset" key="reset" />;
	if (!user) return null;
	if (path === "/notifications") return <NotificationsView />;
	if (path === "/chat") return <ChatListView />;
	if ((p = match("/chat/:id", path))) return <ConversationView id={p.id} key={p.id} />;
	if (path === "/join") return <JoinView />;
	if ((p = match("/play/:code", path))) return <PlayView code={p.code} key={p.code} />;
	if (path === "/student") return <StudentHome />;
	if ((p = match("/revise/:pathId/:stepId", path))) return <ReviseView pathId={p.pathId} stepId={p.stepId} key={path} />;
	if (isTeacher(user)) {
		if (path === "/teacher") return <TeacherHome />;
		if (path === "/teacher/classes") return <ClassesView />;
		if ((p = match("/teacher/classes/:id", path))) return <ClassView id={p.id} key={p.id} />;
		if (path === "/teacher/content") return <ContentView />;
		if (path === "/teacher/paths") return <PathsView />;
		if (path === "/teacher/live/new") return <LiveNewView />;
		if ((p = match("/teacher/live/:id", path))) return <ConsoleView id={p.id} key={p.id} />;
	}
	return <NotFound />;
}

function NotFound() {
	const t = useT();
	return (
		<Page title={t("notFound.title")}>
			<p>{t("notFound.text")}</p>
			<a class="button" href="/">
				{t("notFound.home")}
			</a>
		</Page>
	);
}

export function App() {
	const t = useT();
	const { path } = useLocation();
	const s = useStore(session);
	const user = s?.user;

	useEffect(() => {
		if (user) void startUserChannel();
		else void stopUserChannel();
	}, [user?.id]);

	// Signed out on a private page: to the sign-in, then back. The root goes to the user's home.
	useEffect(() => {
		// The location now, not the one this render saw: a sign-out may have moved on already.
		const now = currentLocation.get().path;
		if (now === "/") navigate(home(user), { replace: true });
		else if (!user && !PUBLIC.includes(now)) navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
		else if (user && now === "/login") navigate(home(user), { replace: true });
	}, [path, user?.id]);

	return (
		<div class="app" onClick={onLinkClick}>
			<a class="skip" href="#main">
				{t("nav.skip")}
			</a>
			<Header user={user} />
			<main id="main" tabIndex={-1}>
				{routeFor(path, user)}
			</main>
			<Toasts />
		</div>
	);
}

function Header({ user }: { user?: User }) {
	const t = useT();
	const lang = useStore(locale);
	const chats = useStore(unreadConversations).size;
	const notes = useStore(unreadNotifications);
	const live = useStore(channelOpen);
	const { path } = useLocation();
	const current = (href: string) => (path === href || path.startsWith(`${href}/`) ? "page" : undefined);
	return (
		<header class="top" data-live={live ? "on" : "off"}>
			<a class="brand" href="/">
				Learning Platform
			</a>
			{user && (
				<nav aria-label={t("nav.main")}>
					<ul>
						{isTeacher(user) ? (
							<>
								<li>
									<a href="/teacher" aria-current={path === "/teacher" ? "page" : undefined}>
										{t("nav.home")}
									</a>
								</li>
								<li>
									<a href="/teacher/classes" aria-current={current("/teacher/classes")}>
										{t("nav.classes")}
									</a>
								</li>
								<li>
									<a href="/teacher/content" aria-current={current("/teacher/content")}>
										{t("nav.content")}
									</a>
								</li>
								<li>
									<a href="/teacher/paths" aria-current={current("/teacher/paths")}>
										{t("nav.paths")}
									</a>
								</li>
								<li>
									<a href="/teacher/live/new" aria-current={current("/teacher/live")}>
										{t("nav.live")}
									</a>
								</li>
							</>
						) : (
							<>
								<li>
									<a href="/student" aria-current={current("/student")}>
										{t("nav.home")}
									</a>
								</li>
								<li>
									<a href="/join" aria-current={current("/join")}>
										{t("nav.join")}
									</a>
								</li>
							</>
						)}
						<li>
							<a href="/chat" aria-current={current("/chat")}>
								{t("nav.chat")} <Badge count={chats} label={t("nav.unreadChats", { count: chats })} />
							</a>
						</li>
						<li>
							<a href="/notifications" aria-current={current("/notifications")}>
								{t("nav.notifications")} <Badge count={notes} label={t("nav.unreadNotifications", { count: notes })} />
							</a>
						</li>
					</ul>
				</nav>
			)}
			<div class="tools">
				<label class="sr-only" for="lang">
					{t("nav.language")}
				</label>
				<select id="lang" value={lang} onChange={e => setLocale((e.target as HTMLSelectElement).value as Locale)}>
					<option value="fr">Français</option>
					<option value="en">English</option>
				</select>
				{user && (
					<>
						<span class="me">{fullName(user)}</span>
						<button
							type="button"
							onClick={async () => {
								// Leave the live channel first: signing out ends every token, and the platform then closes its socket.
								await stopUserChannel();
								await signOut();
								navigate("/login", { replace: true });
							}}
						>
							{t("nav.signOut")}
						</button>
					</>
				)}
			</div>
		</header>
	);
}

function Toasts() {
	const t = useT();
	const list = useStore(toasts);
	return (
		<div class="toasts" role="status" aria-live="polite">
			{list.map(toast => (
				<div class="toast" key={toast.id}>
					{toast.href ? (
						<a href={toast.href} onClick={() => dismissToast(toast.id)}>
							<strong>{toast.title}</strong>
							{toast.body && <span>{toast.body}</span>}
						</a>
					) : (
						<p>
							<strong>{toast.title}</strong>
							{toast.body && <span>{toast.body}</span>}
						</p>
					)}
					<button type="button" class="close" aria-label={t("common.dismiss")} onClick={() => dismissToast(toast.id)}>
						×
					</button>
				</div>
			))}
		</div>
	);
}

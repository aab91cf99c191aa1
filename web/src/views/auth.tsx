/** Signing in (email, or school code + username), a forgotten password, and the pages mails link to. */
import { useEffect, useState } from "preact/hooks";
import { api } from "../api/http.ts";
import { signIn } from "../api/session.ts";
import { useT } from "../i18n.ts";
import { navigate, useLocation } from "../router.ts";
import { Alert, Field, Page, errorText, useSubmit } from "../ui/ui.tsx";

export function LoginView() {
	const t = useT();
	const { query } = useLocation();
	const [mode, setMode] = useState<"email" | "code">(query.get("mode") === "code" ? "code" : "email");
	const [email, setEmail] = useState("");
	const [schoolCode, setSchoolCode] = useState(query.get("school") ?? "");
	const [username, setUsername] = useState("");
	const [password, setPassword] = useState("");
	const submit = useSubmit(async () => {
		await signIn(mode === "email" ? { email: email.trim(), password } : { schoolCode: schoolCode.trim(), username: username.trim(), password });
		const next = query.get("next");
		navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/", { replace: true });
	});
	return (
		<Page title={t("login.title")}>
			<div class="card narrow">
				<div class="tabs" role="tablist" aria-label={t("login.how")}>
					<button type="button" role="tab" id="tab-email" aria-selected={mode === "email"} aria-controls="login-form" onClick={() => setMode("email")}>
						{t("login.withEmail")}
					</button>
					<button type="button" role="tab" id="tab-code" aria-selected={mode === "code"} aria-controls="login-form" onClick={() => setMode("code")}>
						{t("login.withCode")}
					</button>
				</div>
				<form
					id="login-form"
					aria-labelledby={mode === "email" ? "tab-email" : "tab-code"}
					onSubmit={e => {
						e.preventDefault();
						void submit.run();
					}}
				>
					{mode === "email" ? (
						<Field label={t("login.email")} id="email" type="email" autocomplete="username" required value={email} onInput={e => setEmail((e.target as HTMLInputElement).value)} />
					) : (
						<>
							<Field
								label={t("login.schoolCode")}
								id="schoolCode"
								autocomplete="organization"
								autocapitalize="characters"
								required
								value={schoolCode}
								onInput={e => setSchoolCode((e.target as HTMLInputElement).value)}
							/>
							<Field label={t("login.username")} id="username" autocomplete="username" autocapitalize="none" required value={username} onInput={e => setUsername((e.target as HTMLInputElement).value)} />
						</>
					)}
					<Field label={t("login.password")} id="password" type="password" autocomplete="current-password" required value={password} onInput={e => setPassword((e.target as HTMLInputElement).value)} />
					{submit.error && <Alert>{submit.error}</Alert>}
					<button type="submit" class="primary block" disabled={submit.busy}>
						{submit.busy ? t("login.signingIn") : t("login.submit")}
					</button>
				</form>
				<p class="center">
					<a href="/forgot-password">{t("login.forgot")}</a>
				</p>
			</div>
		</Page>
	);
}

export function ForgotPasswordView() {
	const t = useT();
	const [email, setEmail] = useState("");
	const [sent, setSent] = useState(false);
	const submit = useSubmit(async () => {
		await api.post("/api/auth/password-reset/request", { body: { email: email.trim() }, anonymous: true });
		setSent(true);
	});
	return (
		<Page title={t("forgot.title")}>
			<div class="card narrow">
				{sent ? (
					<Alert kind="ok">{t("forgot.sent")}</Alert>
				) : (
					<form
						onSubmit={e => {
							e.preventDefault();
							void submit.run();
						}}
					>
						<p>{t("forgot.intro")}</p>
						<Field label={t("login.email")} id="email" type="email" autocomplete="email" required value={email} onInput={e => setEmail((e.target as HTMLInputElement).value)} />
						{submit.error && <Alert>{submit.error}</Alert>}
						<button type="submit" class="primary block" disabled={submit.busy}>
							{t("forgot.submit")}
						</button>
					</form>
				)}
				<p class="center">
					<a href="/login">{t("common.backToLogin")}</a>
				</p>
			</div>
		</Page>
	);
}

/** /verify-email?token=…: confirms at once and says so. */
export function VerifyEmailView() {
	const t = useT();
	const token = useLocation().query.get("token");
	const [state, setState] = useState<{ kind: "busy" | "ok" | "error"; text: string }>({ kind: "busy", text: t("mail.verifying") });
	useEffect(() => {
		if (!token) return setState({ kind: "error", text: t("mail.noToken") });
		api.post("/api/auth/verify-email", { body: { token }, anonymous: true }).then(
			() => setState({ kind: "ok", text: t("mail.verified") }),
			err => setState({ kind: "error", text: `${t("mail.failed")} ${errorText(err)}` }),
		);
	}, [token]);
	return (
		<Page title={t("mail.verifyTitle")}>
			<div class="card narrow">
				{state.kind === "busy" ? <p role="status">{state.text}</p> : <Alert kind={state.kind}>{state.text}</Alert>}
				{state.kind === "ok" && (
					<p class="center">
						<a class="button primary" href="/login">
							{t("login.submit")}
						</a>
					</p>
				)}
			</div>
		</Page>
	);
}

/** /accept-invitation?token=… and /reset-password?token=…: a new password (and names for a new account). */
export function PasswordLinkView({ kind }: { kind: "invitation" | "reset" }) {
	const t = useT();
	const token = useLocation().query.get("token");
	const [firstName, setFirstName] = useState("");
	const [lastName, setLastName] = useState("");
	const [password, setPassword] = useState("");
	const [confirm, setConfirm] = useState("");
	const [done, setDone] = useState(false);
	const submit = useSubmit(async () => {
		if (password !== confirm) throw new Error(t("mail.mismatch"));
		if (kind === "invitation") {
			const body: { token: string; password: string; firstName?: string; lastName?: string } = { token: token!, password };
			if (firstName.trim()) body.firstName = firstName.trim();
			if (lastName.trim()) body.lastName = lastName.trim();
			await api.post("/api/invitations/accept", { body: body as never, anonymous: true });
		} else {
			await api.post("/api/auth/password-reset/confirm", { body: { token: token!, password }, anonymous: true });
		}
		setDone(true);
	});
	return (
		<Page title={kind === "invitation" ? t("mail.inviteTitle") : t("mail.resetTitle")}>
			<div class="card narrow">
				{!token ? (
					<Alert>{t("mail.noToken")}</Alert>
				) : done ? (
					<>
						<Alert kind="ok">{kind === "invitation" ? t("mail.joined") : t("mail.changed")}</Alert>
						<p class="center">
							<a class="button primary" href="/login">
								{t("login.submit")}
							</a>
						</p>
					</>
				) : (
					<form
						onSubmit={e => {
							e.preventDefault();
							void submit.run();
						}}
					>
						{kind === "invitation" && (
							<>
								<Field label={t("mail.firstName")} id="firstName" autocomplete="given-name" value={firstName} onInput={e => setFirstName((e.target as HTMLInputElement).value)} />
								<Field label={t("mail.lastName")} id="lastName" autocomplete="family-name" value={lastName} onInput={e => setLastName((e.target as HTMLInputElement).value)} />
							</>
						)}
						<Field
							label={t("mail.password")}
							id="password"
							type="password"
							autocomplete="new-password"
							minLength={10}
							required
							value={password}
							onInput={e => setPassword((e.target as HTMLInputElement).value)}
						/>
						<Field label={t("mail.confirm")} id="confirm" type="password" autocomplete="new-password" required value={confirm} onInput={e => setConfirm((e.target as HTMLInputElement).value)} />
						{submit.error && <Alert>{submit.error}</Alert>}
						<button type="submit" class="primary block" disabled={submit.busy}>
							{kind === "invitation" ? t("mail.join") : t("mail.save")}
						</button>
					</form>
				)}
			</div>
		</Page>
	);
}

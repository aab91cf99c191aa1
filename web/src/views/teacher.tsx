/** The teacher's side: classes and students, content and its import, paths (scenario 1), opening a live session. */
import { useMemo, useState } from "preact/hooks";
import { api } from "../api/http.ts";
import type { Contact, ContentItem, ImportResult, LearningPath, LiveSession, Page as PageOf, SchoolClass } from "../api/models.ts";
import { useT } from "../i18n.ts";
import { navigate } from "../router.ts";
import { Alert, Field, Loading, Page, Select, errorText, useAsync, useSubmit } from "../ui/ui.tsx";

const myClasses = () => api.get("/api/classes", { query: { pageSize: 100 } }) as Promise<PageOf<SchoolClass>>;
const myPaths = () => api.get("/api/learning-paths", { query: { pageSize: 100 } }) as Promise<PageOf<LearningPath>>;

export function TeacherHome() {
	const t = useT();
	const classes = useAsync(myClasses, []);
	const paths = useAsync(myPaths, []);
	return (
		<Page title={t("teacher.title")}>
			<div class="hero card">
				<h2>{t("teacher.liveTitle")}</h2>
				<p>{t("teacher.liveIntro")}</p>
				<a class="button primary big" href="/teacher/live/new">
					{t("teacher.startLive")}
				</a>
			</div>
			<div class="grid">
				<div class="card">
					<h2>
						<a href="/teacher/classes">{t("nav.classes")}</a>
					</h2>
					{classes.loading ? <Loading /> : <p>{t("teacher.classCount", { count: classes.data?.total ?? 0 })}</p>}
				</div>
				<div class="card">
					<h2>
						<a href="/teacher/paths">{t("nav.paths")}</a>
					</h2>
					{paths.loading ? <Loading /> : <p>{t("teacher.pathCount", { count: paths.data?.total ?? 0 })}</p>}
				</div>
				<div class="card">
					<h2>
						<a href="/teacher/content">{t("nav.content")}</a>
					</h2>
					<p>{t("teacher.contentIntro")}</p>
				</div>
			</div>
		</Page>
	);
}

export function ClassesView() {
	const t = useT();
	const classes = useAsync(myClasses, []);
	const school = useAsync(() => api.get("/api/school") as Promise<{ code: string; name: string }>, []);
	const [name, setName] = useState("");
	const [subject, setSubject] = useState("");
	const create = useSubmit(async () => {
		await api.post("/api/classes", { body: { name: name.trim(), ...(subject.trim() ? { subject: subject.trim() } : {}) } });
		setName("");
		setSubject("");
		classes.reload();
	});
	return (
		<Page title={t("nav.classes")}>
			{school.data && <p class="callout">{t("classes.schoolCode", { code: school.data.code })}</p>}
			{classes.loading && <Loading />}
			{classes.error ? <Alert>{errorText(classes.error)}</Alert> : null}
			<ul class="list">
				{classes.data?.rows.map(c => (
					<li key={c.id}>
						<a href={`/teacher/classes/${c.id}`}>{c.name}</a> <span class="muted">{t("classes.students", { count: c.studentIds.length })}</span>
					</li>
				))}
			</ul>
			<form
				class="card"
				onSubmit={e => {
					e.preventDefault();
					void create.run();
				}}
			>
				<h2>{t("classes.new")}</h2>
				<Field label={t("classes.name")} id="class-name" required value={name} onInput={e => setName((e.target as HTMLInputElement).value)} />
				<Field label={t("classes.subject")} id="class-subject" value={subject} onInput={e => setSubject((e.target as HTMLInputElement).value)} />
				{create.error && <Alert>{create.error}</Alert>}
				<button type="submit" class="primary" disabled={create.busy}>
					{t("classes.create")}
				</button>
			</form>
		</Page>
	);
}

export function ClassView({ id }: { id: string }) {
	const t = useT();
	const cls = useAsync(() => api.get("/api/classes/{id}", { params: { id } }) as Promise<SchoolClass>, [id]);
	const contacts = useAsync(() => api.get("/api/contacts") as Promise<{ rows: Contact[] }>, [id]);
	const [form, setForm] = useState({ firstName: "", lastName: "", username: "", password: "" });
	const [created, setCreated] = useState<string>();
	const add = useSubmit(async () => {
		const user = (await api.post("/api/users/students", { body: { ...form, username: form.username.trim() } })) as { id: string; username: string };
		await api.post("/api/classes/{id}/students", { params: { id }, body: { studentIds: [user.id] } });
		setCreated(t("classes.added", { username: user.username }));
		setForm({ firstName: "", lastName: "", username: "", password: "" });
		cls.reload();
		contacts.reload();
	});
	const byId = useMemo(() => new Map((contacts.data?.rows ?? []).map(c => [c.id, c])), [contacts.data]);
	if (cls.loading) return <Loading />;
	if (!cls.data) return <Alert>{errorText(cls.error)}</Alert>;
	const set = (k: keyof typeof form) => (e: Event) => setForm(f => ({ ...f, [k]: (e.target as HTMLInputElement).value }));
	return (
		<Page title={cls.data.name}>
			<h2>{t("classes.studentsTitle")}</h2>
			{cls.data.studentIds.length === 0 && <p>{t("classes.none")}</p>}
			<ul class="list">
				{cls.data.studentIds.map(sid => {
					const c = byId.get(sid);
					return <li key={sid}>{c ? `${c.firstName} ${c.lastName}` : sid}</li>;
				})}
			</ul>
			<form
				class="card"
				onSubmit={e => {
					e.preventDefault();
					void add.run();
				}}
			>
				<h2>{t("classes.addStudent")}</h2>
				<p class="hint">{t("classes.addHint")}</p>
				<Field label={t("mail.firstName")} id="s-first" required value={form.firstName} onInput={set("firstName")} />
				<Field label={t("mail.lastName")} id="s-last" required value={form.lastName} onInput={set("lastName")} />
				<Field label={t("login.username")} id="s-username" autocapitalize="none" required value={form.username} onInput={set("username")} />
				<Field label={t("classes.initialPassword")} id="s-password" type="password" autocomplete="new-password" minLength={10} required value={form.password} onInput={set("password")} />
				{add.error && <Alert>{add.error}</Alert>}
				{created && <Alert kind="ok">{created}</Alert>}
				<button type="submit" class="primary" disabled={add.busy}>
					{t("classes.addStudentButton")}
				</button>
			</form>
		</Page>
	);
}

export function ContentView() {
	const t = useT();
	const [status, setStatus] = useState("");
	const items = useAsync(() => api.get("/api/content-items", { query: { pageSize: 100, ...(status ? { status: status as never } : {}) } }) as Promise<PageOf<ContentItem>>, [status]);
	const [selected, setSelected] = useState<Set<string>>(new Set());
	const [format, setFormat] = useState<"csv" | "json">("csv");
	const [mode, setMode] = useState<"valid_only" | "all_or_nothing">("valid_only");
	const [text, setText] = useState("");
	const [report, setReport] = useState<ImportResult>();
	const validate = useSubmit(async () => {
		for (const id of selected) await api.post("/api/content-items/{id}/status", { params: { id }, body: { status: "validated" } });
		setSelected(new Set());
		items.reload();
	});
	const importer = useSubmit(async () => {
		setReport(undefined);
		try {
			setReport(await api.post("/api/content-items/import", { body: { format, text, mode } }));
		} catch (err: any) {
			// All or nothing: the errors come with the refusal.
			if (Array.isArray(err?.data)) setReport({ created: [], errors: err.data });
			throw err;
		}
		items.reload();
	});
	const readFile = async (e: Event) => {
		const file = (e.target as HTMLInputElement).files?.[0];
		if (!file) return;
		setText(await file.text());
		if (file.name.toLowerCase().endsWith(".json")) setFormat("json");
		else if (file.name.toLowerCase().endsWith(".csv")) setFormat("csv");
	};
	return (
		<Page title={t("nav.content")}>
			<div class="toolbar">
				<Select
					label={t("content.status")}
					id="content-status"
					value={status}
					onChange={e => setStatus((e.target as HTMLSelectElement).value)}
					options={[
						{ value: "", label: t("content.all") },
						{ value: "draft", label: t("content.draft") },
						{ value: "validated", label: t("content.validated") },
						{ value: "archived", label: t("content.archived") },
					]}
				/>
				<button type="button" class="primary" disabled={selected.size === 0 || validate.busy} onClick={() => void validate.run()}>
					{t("content.validateSelected", { count: selected.size })}
				</button>
			</div>
			{validate.error && <Alert>{validate.error}</Alert>}
			{items.loading && <Loading />}
			{items.data && (
				<table class="items">
					<thead>
						<tr>
							<th scope="col">
								<span class="sr-only">{t("content.select")}</span>
							</th>
							<th scope="col">{t("content.titleCol")}</th>
							<th scope="col">{t("content.kind")}</th>
							<th scope="col">{t("content.status")}</th>
						</tr>
					</thead>
					<tbody>
						{items.data.rows.map(i => (
							<tr key={i.id}>
								<td>
									{i.status === "draft" && (
										<input
											type="checkbox"
											aria-label={t("content.selectItem", { title: i.title })}
											checked={selected.has(i.id)}
											onChange={e => setSelected(s => {
												const next = new Set(s);
												if ((e.target as HTMLInputElement).checked) next.add(i.id);
												else next.delete(i.id);
												return next;
											})}
										/>
									)}
								</td>
								<td>{i.title}</td>
								<td>{t(`kind.${i.kind}`)}</td>
								<td>
									<span class={`tag ${i.status === "validated" ? "ok" : ""}`}>{t(`content.${i.status}`)}</span>
								</td>
							</tr>
						))}
					</tbody>
				</table>
			)}
			<form
				class="card"
				onSubmit={e => {
					e.preventDefault();
					void importer.run();
				}}
			>
				<h2>{t("content.import")}</h2>
				<p class="hint">{t("content.importHint")}</p>
				<div class="field">
					<label for="import-file">{t("content.file")}</label>
					<input id="import-file" type="file" accept=".csv,.json,text/csv,application/json" onChange={e => void readFile(e)} />
				</div>
				<div class="field">
					<label for="import-text">{t("content.text")}</label>
					<textarea id="import-text" rows={8} value={text} onInput={e => setText((e.target as HTMLTextAreaElement).value)} spellcheck={false} />
				</div>
				<div class="row">
					<Select label={t("content.format")} id="import-format" value={format} onChange={e => setFormat((e.target as HTMLSelectElement).value as "csv")} options={[{ value: "csv", label: "CSV" }, { value: "json", label: "JSON" }]} />
					<Select
						label={t("content.mode")}
						id="import-mode"
						value={mode}
						onChange={e => setMode((e.target as HTMLSelectElement).value as "valid_only")}
						options={[
							{ value: "valid_only", label: t("content.validOnly") },
							{ value: "all_or_nothing", label: t("content.allOrNothing") },
						]}
					/>
				</div>
				{importer.error && <Alert>{importer.error}</Alert>}
				{report && (
					<div role="status">
						<p>{t("content.imported", { count: report.created.length })}</p>
						{report.errors.length > 0 && (
							<table class="errors">
								<thead>
									<tr>
										<th scope="col">{t("content.line")}</th>
										<th scope="col">{t("content.field")}</th>
										<th scope="col">{t("content.problem")}</th>
									</tr>
								</thead>
								<tbody>
									{report.errors.map((e, i) => (
										<tr key={i}>
											<td>{e.line}</td>
											<td>{e.field ?? ""}</td>
											<td>{e.message}</td>
										</tr>
									))}
								</tbody>
							</table>
						)}
					</div>
				)}
				<button type="submit" class="primary" disabled={importer.busy || !text.trim()}>
					{t("content.importButton")}
				</button>
			</form>
		</Page>
	);
}

export function PathsView() {
	const t = useT();
	const paths = useAsync(myPaths, []);
	const classes = useAsync(myClasses, []);
	const items = useAsync(() => api.get("/api/content-items", { query: { pageSize: 100, status: "validated" as never } }) as Promise<PageOf<ContentItem>>, []);
	const [name, setName] = useState("");
	const [subject, setSubject] = useState("");
	const [classId, setClassId] = useState("");
	const [stepTitle, setStepTitle] = useState("");
	const [picked, setPicked] = useState<string[]>([]);
	const [activate, setActivate] = useState(true);
	const [done, setDone] = useState<string>();
	const create = useSubmit(async () => {
		const res = (await api.post("/api/learning-paths", {
			body: {
				name: name.trim(),
				subject: subject.trim(),
				...(classId ? { classIds: [classId] } : {}),
				steps: [{ title: stepTitle.trim() || name.trim(), itemIds: picked }],
				activate,
			} as never,
		})) as { id: string; status: string; students: unknown[] };
		setDone(t("paths.created", { status: t(`paths.${res.status as "active"}`), count: res.students.length }));
		setPicked([]);
		setName("");
		setStepTitle("");
		paths.reload();
	});
	return (
		<Page title={t("nav.paths")}>
			{paths.loading && <Loading />}
			<ul class="list">
				{paths.data?.rows.map(p => (
					<li key={p.id}>
						<strong>{p.name}</strong> <span class="muted">{p.subject}</span> <span class={`tag ${p.status === "active" ? "ok" : ""}`}>{t(`paths.${p.status}`)}</span>{" "}
						<span class="muted">{t("paths.steps", { count: p.steps.length })}</span>
					</li>
				))}
			</ul>
			<form
				class="card"
				onSubmit={e => {
					e.preventDefault();
					void create.run();
				}}
			>
				<h2>{t("paths.new")}</h2>
				<Field label={t("paths.name")} id="path-name" required value={name} onInput={e => setName((e.target as HTMLInputElement).value)} />
				<Field label={t("classes.subject")} id="path-subject" required value={subject} onInput={e => setSubject((e.target as HTMLInputElement).value)} />
				<Select
					label={t("paths.class")}
					id="path-class"
					value={classId}
					onChange={e => setClassId((e.target as HTMLSelectElement).value)}
					options={[{ value: "", label: t("paths.noClass") }, ...(classes.data?.rows ?? []).map(c => ({ value: c.id, label: c.name }))]}
				/>
				<Field label={t("paths.stepTitle")} id="path-step" value={stepTitle} onInput={e => setStepTitle((e.target as HTMLInputElement).value)} />
				<fieldset class="picker">
					<legend>{t("paths.items")}</legend>
					{items.data?.rows.length === 0 && <p class="hint">{t("paths.noItems")}</p>}
					{items.data?.rows.map(i => (
						<label class="check" key={i.id}>
							<input type="checkbox" checked={picked.includes(i.id)} onChange={e => setPicked(p => ((e.target as HTMLInputElement).checked ? [...p, i.id] : p.filter(x => x !== i.id)))} />
							{i.title} <span class="muted">({t(`kind.${i.kind}`)})</span>
						</label>
					))}
				</fieldset>
				<label class="check">
					<input type="checkbox" checked={activate} onChange={e => setActivate((e.target as HTMLInputElement).checked)} />
					{t("paths.activate")}
				</label>
				{create.error && <Alert>{create.error}</Alert>}
				{done && <Alert kind="ok">{done}</Alert>}
				<button type="submit" class="primary" disabled={create.busy || picked.length === 0}>
					{t("paths.create")}
				</button>
			</form>
		</Page>
	);
}

export function LiveNewView() {
	const t = useT();
	const classes = useAsync(myClasses, []);
	const paths = useAsync(() => api.get("/api/learning-paths", { query: { pageSize: 100, status: "active" as never } }) as Promise<PageOf<LearningPath>>, []);
	const [classId, setClassId] = useState("");
	const [pathId, setPathId] = useState("");
	const [stepId, setStepId] = useState("");
	const [questions, setQuestions] = useState("10");
	const [seconds, setSeconds] = useState("30");
	const cls = classId || classes.data?.rows[0]?.id || "";
	const forClass = (paths.data?.rows ?? []).filter(p => p.status === "active");
	const path = forClass.find(p => p.id === pathId) ?? forClass.find(p => p.classIds.includes(cls)) ?? forClass[0];
	const steps = (path?.steps ?? []).filter(s => s.kind !== "evaluation");
	const step = steps.find(s => s.id === stepId) ?? steps[0];
	const open = useSubmit(async () => {
		const created = (await api.post("/api/live-sessions", {
			body: { classId: cls, pathId: path!.id, stepId: step!.id, questionCount: Number(questions), timeLimitSeconds: Number(seconds) },
		})) as LiveSession;
		navigate(`/teacher/live/${created.id}`);
	});
	if (classes.loading || paths.loading) return <Loading />;
	return (
		<Page title={t("liveNew.title")}>
			<form
				class="card"
				onSubmit={e => {
					e.preventDefault();
					void open.run();
				}}
			>
				<Select label={t("liveNew.class")} id="live-class" value={cls} onChange={e => setClassId((e.target as HTMLSelectElement).value)} options={(classes.data?.rows ?? []).map(c => ({ value: c.id, label: c.name }))} />
				<Select label={t("liveNew.path")} id="live-path" value={path?.id ?? ""} onChange={e => setPathId((e.target as HTMLSelectElement).value)} options={forClass.map(p => ({ value: p.id, label: p.name }))} />
				<Select label={t("liveNew.step")} id="live-step" value={step?.id ?? ""} onChange={e => setStepId((e.target as HTMLSelectElement).value)} options={steps.map(s => ({ value: s.id, label: s.title }))} />
				<div class="row">
					<Field label={t("liveNew.questions")} id="live-questions" type="number" min={1} max={50} value={questions} onInput={e => setQuestions((e.target as HTMLInputElement).value)} />
					<Field label={t("liveNew.seconds")} id="live-seconds" type="number" min={5} max={600} value={seconds} onInput={e => setSeconds((e.target as HTMLInputElement).value)} />
				</div>
				{(!cls || !path || !step) && <Alert kind="info">{t("liveNew.missing")}</Alert>}
				{open.error && <Alert>{open.error}</Alert>}
				<button type="submit" class="primary big" disabled={open.busy || !cls || !path || !step}>
					{t("liveNew.open")}
				</button>
			</form>
		</Page>
	);
}

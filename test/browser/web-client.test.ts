/**
 * `browser e2e`: the web client in a real Chromium against the whole platform. Signing in both ways, the
 * background token refresh and signing out; the pages mails link to; a teacher importing content and
 * building a path (scenario 1); a teacher and three students playing a whole live group session, one of
 * them losing the network mid-question and coming back to the same seat; a solo revision with progress
 * and the next due date (scenario 2); a student and a teacher chatting with receipts, unread badges and
 * live notifications (scenario 3). Every page runs under a strict CSP; any console error, page error or
 * CSP violation fails the test. `npm run web:screenshots` saves the main screens to docs/screenshots/.
 */
import { matchMaker } from "@colyseus/core";
import { expect } from "chai";
import type { Page } from "playwright-core";
import { createUsernameStudent, latestMail, login, PASSWORD, tokenFrom, type Account } from "../support/accounts.js";
import { Browsers, PHONE, PROJECTOR, screenshot, signIn, type Device, type Person } from "../support/browser.js";
import { liveSchool, type LiveSchool } from "../support/live.js";
import { realtimeEndpoint } from "../support/chat.js";
import { http, unique } from "../support/platform.js";

const TITLES = ["Capital of Spain", "Berlin", "Capital of Italy", "Marathon length"];
const NAMES = [
	["Alice", "Martin"],
	["Bilal", "Diallo"],
	["Chloé", "Bernard"],
] as const;

async function rename(token: string, firstName: string, lastName: string) {
	const res = await http("PATCH", "/api/me", { token, body: { firstName, lastName } });
	expect(res.status, JSON.stringify(res.body)).to.equal(200);
}

/** Answers the live question on screen, rightly or not, by reading its prompt. */
async function answerLive(page: Page, right: boolean): Promise<void> {
	const prompt = (await page.locator(".prompt .item-text").innerText()).trim();
	if (prompt.startsWith("Capital of France")) {
		await page.getByLabel("Your answer").fill(right ? "Paris" : "Lyon");
		await page.getByRole("button", { name: "Answer" }).click();
	} else if (prompt.startsWith("Which one is a sea")) {
		await page.getByRole("button", { name: right ? "Baltic" : "Alps" }).click();
	} else if (prompt.startsWith("The Earth is flat")) {
		await page.getByRole("button", { name: right ? "False" : "True" }).click();
	} else if (prompt.startsWith("Height of Everest")) {
		await page.getByLabel("Your answer").fill(right ? "8850" : "100");
		await page.getByRole("button", { name: "Answer" }).click();
	} else throw new Error(`unknown question: ${prompt}`);
}

/** Follows a link of the main navigation. */
function nav(page: Page, name: string) {
	return page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: new RegExp(`^${name}`) }).click();
}

/** The session id the room holds for a user (the seat): the same after a reconnection, a new one after a rejoin. */
function seatOf(roomId: string, userId: string): string | undefined {
	const room = matchMaker.getLocalRoomById(roomId) as any;
	return room?.clients.find((c: any) => c.auth?.id === userId)?.sessionId;
}

describe("browser e2e", function () {
	this.timeout(120_000);
	const browsers = new Browsers();
	let school: LiveSchool;
	let importedPath = "";
	const signedIn = new Map<string, Person>();

	/** A browser of its own for this account, signed in through the form (once). */
	async function as(account: Account, device: Device = PHONE): Promise<Person> {
		let person = signedIn.get(account.id);
		if (!person) {
			person = await browsers.person(device);
			await signIn(person.page, { email: account.email!, password: PASSWORD }, /\/(teacher|student)$/);
			signedIn.set(account.id, person);
		}
		return person;
	}

	before(async function () {
		this.timeout(180_000);
		await browsers.start();
		school = await liveSchool({ students: 3 });
		await rename(school.teacher.token, "Marie", "Curie");
		for (const [i, [first, last]] of NAMES.entries()) await rename(school.students[i].token, first, last);
	});
	after(() => browsers.stop());
	afterEach(async function () {
		if (this.currentTest?.state === "failed") await browsers.snapshotAll(this.currentTest.title);
		// Whatever the test did, the pages said nothing wrong.
		const problems = browsers.takeProblems();
		if (this.currentTest?.state === "passed") expect(problems, problems.join("\n")).to.deep.equal([]);
	});

	it("signs in with an email or a school code + username, refreshes the session in the background, signs out", async () => {
		const visitor = await browsers.person(PHONE);
		const landing = await visitor.page.goto("/teacher");
		await visitor.page.waitForURL(/\/login\?next=%2Fteacher/);
		// the page's own policy: nothing inline, live rooms on the realtime node's port
		const csp = landing!.headers()["content-security-policy"];
		expect(csp).to.include("script-src 'self'").and.include("style-src 'self'").and.not.include("unsafe");
		expect(csp).to.include(`ws://127.0.0.1:${new URL(await realtimeEndpoint()).port}`);
		await screenshot(visitor.page, "sign-in-phone");

		// a wrong password is refused with the API's own message, and nothing is stored
		await visitor.page.getByRole("textbox", { name: "Email address" }).fill(school.teacher.email!);
		await visitor.page.getByLabel("Password").fill("not the password");
		await visitor.page.getByRole("button", { name: "Sign in" }).click();
		await visitor.page.getByRole("alert").waitFor();
		expect(await visitor.page.evaluate(() => localStorage.getItem("lp.session"))).to.equal(null);

		// a student without email: school code + username
		const pupil = await createUsernameStudent(school.admin, school.school.code);
		await signIn(visitor.page, { schoolCode: school.school.code, username: pupil.username, password: PASSWORD }, /\/student$/);
		await visitor.page.getByRole("heading", { name: "My revision" }).waitFor();

		// background refresh: a token close to its end is rotated without the user doing anything
		const before = await visitor.page.evaluate(() => JSON.parse(localStorage.getItem("lp.session")!));
		await visitor.page.evaluate(() => {
			const s = JSON.parse(localStorage.getItem("lp.session")!);
			s.expiresAt = Date.now() + 61_000;
			localStorage.setItem("lp.session", JSON.stringify(s));
		});
		const refreshed = visitor.page.waitForResponse(r => r.url().endsWith("/api/auth/refresh") && r.status() === 200);
		await visitor.page.reload();
		await refreshed;
		const after = await visitor.page.evaluate(() => JSON.parse(localStorage.getItem("lp.session")!));
		expect(after.refreshToken).to.not.equal(before.refreshToken);
		expect(after.expiresAt).to.be.greaterThan(Date.now() + 5 * 60_000);

		// an access token refused by the API (401) is refreshed and the request sent again
		await visitor.page.evaluate(() => {
			const s = JSON.parse(localStorage.getItem("lp.session")!);
			s.accessToken = "not.a.token";
			localStorage.setItem("lp.session", JSON.stringify(s));
		});
		await visitor.page.reload();
		// the progress request went through (this pupil has no path yet), with no error shown
		await visitor.page.getByText("No path is assigned to you yet.").waitFor();
		expect(await visitor.page.locator(".alert.error").count()).to.equal(0);

		// sign out: the session is gone here and on the server
		const last = await visitor.page.evaluate(() => JSON.parse(localStorage.getItem("lp.session")!));
		await visitor.page.getByRole("button", { name: "Sign out" }).click();
		await visitor.page.waitForURL(/\/login$/);
		expect(await visitor.page.evaluate(() => localStorage.getItem("lp.session"))).to.equal(null);
		expect((await http("POST", "/api/auth/refresh", { body: { refreshToken: last.refreshToken } })).status).to.equal(401);

		// in French, by choice
		await visitor.page.getByLabel("Language").selectOption("fr");
		await visitor.page.getByRole("heading", { name: "Connexion" }).waitFor();
		expect(await visitor.page.evaluate(() => document.documentElement.lang)).to.equal("fr");
		await visitor.page.getByLabel("Langue").selectOption("en");
	});

	it("mail links: confirms an email, accepts an invitation and resets a password, then signs in", async () => {
		const { page } = await browsers.person(PHONE);
		// signup → the confirmation link
		const adminEmail = `${unique("web-admin")}@school.test`;
		const signup = await http("POST", "/api/schools/signup", {
			body: { school: { name: unique("Web school "), timezone: "Europe/Paris" }, admin: { email: adminEmail, password: PASSWORD, firstName: "Ada", lastName: "Admin" } },
		});
		expect(signup.status, JSON.stringify(signup.body)).to.equal(201);
		const verifyLink = new URL(/https?:\/\/\S+\/verify-email\?token=[A-Za-z0-9_-]+/.exec((await latestMail(adminEmail, "verify-email")).text)![0]);
		await page.goto(verifyLink.pathname + verifyLink.search);
		await page.getByText("Your email address is confirmed").waitFor();
		await screenshot(page, "mail-link-verified");
		await signIn(page, { email: adminEmail, password: PASSWORD }, /\/teacher$/);
		await page.getByRole("button", { name: "Sign out" }).click();
		await page.waitForURL(/\/login/);
		// Signing out ended every token of the account: the API calls below sign in again.
		const adminToken = (await login({ email: adminEmail, password: PASSWORD })).accessToken;

		// invitation → the account is made with the form's names and password
		const invited = `${unique("web-teacher")}@school.test`;
		expect((await http("POST", "/api/invitations", { token: adminToken, body: { email: invited, role: "teacher" } })).status).to.equal(201);
		await page.goto(`/accept-invitation?token=${tokenFrom(await latestMail(invited, "invitation"))}`);
		await page.getByLabel("First name").fill("Iris");
		await page.getByLabel("Last name").fill("Invited");
		await page.getByLabel("Password (at least 10 characters)").fill(`${PASSWORD} 2`);
		await page.getByLabel("Confirm the password").fill(`${PASSWORD} 2`);
		await page.getByRole("button", { name: "Create my account" }).click();
		await page.getByText("Your account is ready").waitFor();
		await signIn(page, { email: invited, password: `${PASSWORD} 2` }, /\/teacher$/);
		expect(await page.locator(".me").textContent()).to.equal("Iris Invited");
		await page.getByRole("button", { name: "Sign out" }).click();

		// forgotten password → the reset link → the new password works, the old one no longer does
		await page.getByRole("link", { name: "Forgot your password?" }).click();
		await page.getByLabel("Email address").fill(invited);
		await page.getByRole("button", { name: "Send the link" }).click();
		await page.getByText("a link has been sent").waitFor();
		await page.goto(`/reset-password?token=${tokenFrom(await latestMail(invited, "password-reset"))}`);
		await page.getByLabel("Password (at least 10 characters)").fill(`${PASSWORD} 3`);
		await page.getByLabel("Confirm the password").fill(`${PASSWORD} 3`);
		await page.getByRole("button", { name: "Save the password" }).click();
		await page.getByText("Your password is changed").waitFor();
		expect((await http("POST", "/api/auth/login", { body: { email: invited, password: `${PASSWORD} 2` } })).status).to.equal(401);
		await signIn(page, { email: invited, password: `${PASSWORD} 3` }, /\/teacher$/);

		// a link without its token says so
		await page.goto("/verify-email");
		await page.getByText("This link is incomplete").waitFor();
	});

	it("scenario 1: a teacher imports content, validates it and builds an active path for a class", async () => {
		const { page } = await as(school.teacher, PROJECTOR);
		await page.goto("/teacher");
		await nav(page, "Content");
		const subject = unique("Capitals ");
		const csv = [
			"kind,title,subject,prompt,choices,answer,accepted,value,tolerance,unit",
			`single_choice,Capital of Spain,${subject},Capital of Spain?,Lisbon|*Madrid|Porto,,,,,`,
			`true_false,Berlin,${subject},Berlin is the capital of Germany.,,true,,,,`,
			`short_answer,Capital of Italy,${subject},Capital of Italy?,,,Rome,,,`,
			`numeric,Marathon length,${subject},Length of a marathon?,,,,"42,195",0.1,km`,
			`single_choice,Broken,${subject},Two right answers?,*A|*B,,,,,`,
		].join("\n");
		await page.getByLabel("Or paste the content").fill(csv);
		await page.getByRole("button", { name: "Import", exact: true }).click();
		await page.getByText("4 items imported.").waitFor();
		// the invalid row is reported with its line
		await page.locator("table.errors td", { hasText: "6" }).first().waitFor();
		await page.getByLabel("Status").selectOption("draft");
		for (const title of TITLES) await page.getByLabel(`Select ${title}`, { exact: true }).check();
		await page.getByRole("button", { name: "Validate (4)" }).click();
		await page.getByRole("button", { name: "Validate (0)" }).waitFor();

		await nav(page, "Paths");
		importedPath = unique("Capitals of Europe ");
		await page.getByLabel("Name").fill(importedPath);
		await page.getByLabel("Subject").fill(subject);
		const classes = await http("GET", "/api/classes", { token: school.teacher.token });
		await page.getByLabel("Class").selectOption(classes.body.rows[0].id);
		await page.getByLabel("First step's title").fill("Capitals");
		for (const title of TITLES) await page.getByRole("checkbox", { name: `${title} (` }).check();
		await page.getByRole("button", { name: "Create the path" }).click();
		await page.getByText("Path created (active), 3 students assigned.").waitFor();
		const paths = await http("GET", "/api/learning-paths?pageSize=100", { token: school.teacher.token });
		const made = paths.body.rows.find((p: any) => p.name === importedPath);
		expect(made).to.include({ status: "active", subject });
		expect(made.steps[0].itemIds).to.have.length(4);
	});

	it("a teacher and three students play a whole live session; one loses the network mid-question and gets the same seat back", async () => {
		const { page: console_ } = await as(school.teacher, PROJECTOR);
		const path = await http("GET", `/api/learning-paths/${school.pathId}`, { token: school.teacher.token });
		await nav(console_, "Live session");
		await console_.getByLabel("Path").selectOption({ label: path.body.name });
		await console_.getByLabel("Seconds per question").fill("120");
		await console_.getByRole("button", { name: "Open the session" }).click();
		await console_.waitForURL(/\/teacher\/live\/[0-9a-f]{24}$/);
		const liveId = console_.url().split("/").pop()!;
		const code = (await console_.locator(".joincode").innerText()).trim();
		expect(code).to.match(/^[A-Z0-9]{6}$/);

		const players: Person[] = [];
		for (const [i, account] of school.students.slice(0, 3).entries()) {
			const p = await as(account);
			players.push(p);
			await p.page.goto("/student");
			await p.page.getByLabel("Session code").fill(code.toLowerCase());
			await p.page.getByRole("button", { name: "Join" }).click();
			await p.page.waitForURL(new RegExp(`/play/${code}$`));
			await p.page.getByText("You're in!").waitFor();
			if (i === 0) await screenshot(p.page, "student-lobby-phone");
		}
		await console_.getByText("3 of 3 students connected").waitFor();
		for (const [first, last] of NAMES) await console_.locator(".leaderboard").getByText(`${first} ${last}`).waitFor();
		await screenshot(console_, "teacher-console-join-code");

		const record = await http("GET", `/api/live-sessions/${liveId}`, { token: school.teacher.token });
		const roomId = record.body.roomId;
		const droppingId = school.students[1].id;
		await console_.getByRole("button", { name: "Start" }).click();

		const questions = 4;
		for (let q = 0; q < questions; q++) {
			for (const p of players) await p.page.getByText(`Question ${q + 1} of ${questions}`).waitFor();
			if (q === 1) {
				// Bilal's Wi-Fi goes: the socket dies and new ones fail; he answers anyway, then the network is back.
				const seat = seatOf(roomId, droppingId);
				expect(seat).to.be.a("string");
				await players[1].dropNetwork();
				await players[1].page.getByText("Connection lost").waitFor();
				await console_.getByText("2 of 3 students connected").waitFor();
				await answerLive(players[1].page, true);
				await players[1].page.getByText("Sending your answer…").waitFor();
				await screenshot(players[1].page, "student-reconnecting-phone");
				await new Promise(r => setTimeout(r, 1500));
				players[1].reconnect();
				await players[1].page.getByText("Answer received ✓").waitFor();
				await console_.getByText("3 of 3 students connected").waitFor();
				expect(seatOf(roomId, droppingId), "the same seat (reconnection token), not a new join").to.equal(seat);
				expect(await players[1].page.getByText("Connection lost").count()).to.equal(0);
				await answerLive(players[0].page, true);
				await answerLive(players[2].page, false);
			} else {
				for (const [i, p] of players.entries()) await answerLive(p.page, i !== 2);
			}
			for (const p of players) await p.page.getByText("Answer received ✓").waitFor();
			await console_.getByText(`3 / 3 answered`).waitFor();
			if (q === 0) {
				await screenshot(players[0].page, "student-answer-received-phone");
				await screenshot(console_, "teacher-console-question");
			}
			await console_.getByRole("button", { name: "Reveal the answer" }).click();
			for (const [i, p] of players.entries()) {
				await p.page.locator(".verdict", { hasText: i === 2 ? "Not quite" : "Right!" }).waitFor();
				await p.page.getByText(/You are #\d of 3/).waitFor();
			}
			await console_.getByRole("heading", { name: "Leaderboard" }).waitFor();
			if (q === 0) {
				await screenshot(players[0].page, "student-reveal-rank-phone");
				await screenshot(console_, "teacher-console-reveal");
			}
			expect(await players[2].page.getByText("You are #3 of 3").count(), "wrong answers rank last").to.equal(1);
			await console_.getByRole("button", { name: q === questions - 1 ? "Finish" : "Next question" }).click();
		}

		// the end: the results for the teacher, the final rank for each student
		await console_.getByRole("heading", { name: "Results" }).waitFor();
		const rows = await console_.locator("table.results tbody tr").allInnerTexts();
		expect(rows).to.have.length(3);
		expect(rows[2]).to.match(/^3\s+Chloé Bernard\s+0\s+0 \/ 4$/);
		for (const row of rows.slice(0, 2)) expect(row).to.match(/(Alice Martin|Bilal Diallo)\s+[\d,]+\s+4 \/ 4$/);
		await screenshot(console_, "teacher-results");
		for (const [i, p] of players.entries()) {
			await p.page.getByText("The session is over").waitFor();
			await p.page.getByText(i === 2 ? "You are #3 of 3" : /You are #[12] of 3/).waitFor();
		}
		const ended = await http("GET", `/api/live-sessions/${liveId}`, { token: school.teacher.token });
		expect(ended.body.status).to.equal("ended");
		const bilal = ended.body.leaderboard.find((s: any) => s.studentId === droppingId);
		expect(bilal).to.include({ answered: 4, correct: 4 });
	});

	it("scenario 2: a student revises a step alone and sees progress and the next due date", async () => {
		const { page } = await as(school.students[0]); // Alice, on her phone
		await page.goto("/student");
		const card = page.locator(".card.path", { hasText: importedPath });
		await card.getByRole("link", { name: "Revise Capitals" }).click();
		const answers: Record<string, () => Promise<void>> = {
			"Capital of Spain?": () => page.getByRole("button", { name: "Madrid" }).click(),
			"Berlin is the capital of Germany.": () => page.getByRole("button", { name: "True" }).click(),
			"Capital of Italy?": async () => {
				await page.getByLabel("Your answer").fill("Milan");
				await page.getByRole("button", { name: "Answer" }).click();
			},
			"Length of a marathon?": async () => {
				await page.getByLabel("Your answer").fill("42,2");
				await page.getByRole("button", { name: "Answer" }).click();
			},
		};
		for (let i = 0; i < 4; i++) {
			// The total grows as items wait for their learning step within the session (they come back later).
			await page.getByText(new RegExp(`^${i} of \\d+ answered$`)).waitFor();
			const prompt = (await page.locator(".prompt .item-text").innerText()).trim();
			await answers[prompt]();
			await page.locator(".verdict").waitFor();
			if (prompt === "Capital of Italy?") {
				await page.getByText("Not quite").waitFor();
				await page.locator(".expected", { hasText: "Rome" }).waitFor();
				await screenshot(page, "student-revision-feedback-phone");
			}
			if (i < 3) await page.getByRole("button", { name: "Next" }).click();
		}
		// New items each wait for their first learning step (minutes away): Alice is told when, and finishes now.
		await page.getByRole("button", { name: "Continue" }).click();
		await page.getByText(/comes back at/).waitFor();
		await screenshot(page, "student-revision-waiting-phone");
		await page.getByRole("button", { name: "Finish now" }).click();
		await page.getByRole("heading", { name: "Session complete" }).waitFor();
		await page.getByText("75%").waitFor();
		await page.locator(".next-due").first().waitFor();
		expect(await page.locator(".next-due").first().innerText()).to.match(/Next review: |to review now/);
		await page.getByText(/Mastery: \d+%/).waitFor();
		await screenshot(page, "student-revision-summary-phone");
		const progress = await http("GET", "/api/progress/me", { token: school.students[0].token });
		const onPath = progress.body.paths.find((p: any) => p.name === importedPath);
		expect(onPath.steps[0]).to.include({ sessions: 1 });
		expect(onPath.nextDueAt).to.be.a("string");
	});

	it("scenario 3: a student and a teacher chat live, with unread badges, a live notification and read receipts", async () => {
		const { page: s } = await as(school.students[0]); // Alice
		const { page: t } = await as(school.teacher, PROJECTOR);
		await t.goto("/teacher");
		// The teacher's live channel is joined before Alice writes: the notification comes through it.
		await t.locator('header[data-live="on"]').waitFor();
		await nav(s, "Messages");
		await s.getByLabel("With").waitFor();
		const options = await s.getByLabel("With").locator("option").allTextContents();
		expect(options.some(o => o.startsWith("Marie Curie ("))).to.equal(true);
		await s.getByLabel("With").selectOption(school.teacher.id);
		await s.getByRole("button", { name: "Open the conversation" }).click();
		await s.waitForURL(/\/chat\/[0-9a-f]{24}$/);
		await s.getByLabel("Write a message").fill("Bonjour Madame, je n'ai pas compris la question sur l'Everest.");
		await s.getByRole("button", { name: "Send" }).click();
		await s.locator(".messages li.mine", { hasText: "l'Everest" }).waitFor();

		// the teacher, elsewhere in the app: a live notification and an unread badge
		await t.locator(".toast", { hasText: "New message" }).waitFor();
		await t.getByLabel("1 unread conversations").waitFor();
		await screenshot(t, "teacher-chat-notification");
		await nav(t, "Messages");
		await t.locator(".conversations a.unread", { hasText: "Alice Martin" }).click();
		await t.locator(".messages li.theirs", { hasText: "l'Everest" }).waitFor();
		// read: the badge goes, and Alice sees her message was seen
		await t.getByLabel("1 unread conversations").waitFor({ state: "detached" });
		await s.locator(".messages li.mine .seen").waitFor();

		// typing, then a reply that arrives live
		await t.getByLabel("Write a message").pressSequentially("La hauteur", { delay: 20 });
		await s.getByText("Marie is typing…").waitFor();
		await t.getByLabel("Write a message").fill("La hauteur officielle est 8 849 m : 8 850 était accepté (tolérance de 10 m).");
		await t.getByRole("button", { name: "Send" }).click();
		await s.locator(".messages li.theirs", { hasText: "8 849 m" }).waitFor();
		await t.locator(".messages li.mine .seen").waitFor();
		await screenshot(s, "student-chat-phone");
		await screenshot(t, "teacher-chat");
	});
});

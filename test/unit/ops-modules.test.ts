/**
 * `ops modules` (issue 16): the pure parts of operations: settings, which actions are retried, how a live
 * session is rebuilt from what was saved, the export archive, the database-unavailable check.
 */
import { expect } from "chai";
import { strFromU8, unzipSync } from "fflate";
import { ConfigError, loadSettings } from "../../config/env.js";
import { PERMISSIONS } from "../../config/permissions/index.js";
import { resumeSession, RESUME_MIN_MS, type SavedAnswer } from "../../rooms/group-resume.js";
import { isDatabaseUnavailable } from "../../services/ops/database-availability.js";
import { buildArchive } from "../../services/ops/export-archive.js";
import { IDEMPOTENT_ACTIONS, isTransportFailure } from "../../services/ops/resilience.js";
import { Errors } from "moleculer";

const answer = (studentId: string, questionIndex: number, points: number, correct = true): SavedAnswer => ({
	studentId, itemId: `i${questionIndex}`, questionIndex, clientId: `${studentId}-${questionIndex}`, correct, score: correct ? 1 : 0, rating: 3, responseTimeMs: 1000, points, answeredAt: new Date(1000 + questionIndex).toISOString(),
});

describe("ops modules", () => {
	it("reads the operations settings with their defaults and refuses bad values, naming them", () => {
		const dev = loadSettings({ NODE_ENV: "development" }).ops;
		expect(dev).to.include({ logFormat: "text", metrics: true, tracingExporter: "off", schoolErasureGraceDays: 30, invoiceRetentionYears: 10, auditRetentionDays: 365, deliveryRetentionDays: 90 });
		expect(dev.dataRightsCron).to.equal("30 3 * * *");
		expect(loadSettings({ NODE_ENV: "production", JWT_SECRET: "x".repeat(32) }).ops.logFormat).to.equal("json");
		expect(loadSettings({ NODE_ENV: "test" }).ops.dataRightsCron).to.equal(null);
		for (const [name, value] of [["METRICS_TOKEN", "short"], ["TRACING_EXPORTER", "jaeger"], ["TRACING_SAMPLE_RATE", "2"], ["SCHOOL_ERASURE_GRACE_DAYS", "-1"], ["RETENTION_INVOICE_YEARS", "0"], ["DATA_RIGHTS_CRON", "every day"], ["LOG_FORMAT", "xml"], ["TRACING_ZIPKIN_URL", "ftp://x"]]) {
			expect(() => loadSettings({ NODE_ENV: "development", [name]: value }), name).to.throw(ConfigError, name);
		}
	});

	it("retries only actions that exist and are safe to run twice, and only after a transport failure", () => {
		expect(IDEMPOTENT_ACTIONS.filter(a => !(a in PERMISSIONS)), "listed actions that do not exist").to.deep.equal([]);
		for (const write of ["classes.create", "users.createAccount", "invoices.createDrafts", "conversations.open"]) expect(IDEMPOTENT_ACTIONS).not.to.include(write);
		expect(isTransportFailure(new Errors.RequestTimeoutError({ action: "x", nodeID: "n" }))).to.equal(true);
		expect(isTransportFailure(new Errors.RequestRejectedError({ action: "x", nodeID: "n" }))).to.equal(true);
		expect(isTransportFailure(new Errors.MoleculerClientError("no", 409, "CONFLICT"))).to.equal(false);
		expect(isTransportFailure(new Errors.ServiceNotAvailableError({ action: "x" }))).to.equal(false);
	});

	it("tells a database that is away from other failures", () => {
		for (const name of ["MongoServerSelectionError", "MongoNetworkError", "MongoNotConnectedError", "MongooseServerSelectionError", "MongoPoolClearedError"]) expect(isDatabaseUnavailable({ name, message: "x" }), name).to.equal(true);
		expect(isDatabaseUnavailable({ name: "MongooseError", message: "Operation `users.findOne()` buffering timed out after 10000ms" })).to.equal(true);
		expect(isDatabaseUnavailable({ name: "MongoServerError", message: "E11000 duplicate key" })).to.equal(false);
		expect(isDatabaseUnavailable(new Error("boom"))).to.equal(false);
	});

	describe("a live session rebuilt from what was saved", () => {
		const limit = 30_000;
		it("scores revealed questions only, keeps the open question's answers and its time left", () => {
			const answers = [answer("a", 0, 900), answer("b", 0, 0, false), answer("a", 1, 700)];
			const r = resumeSession({ questionIndex: 1, phase: "question", deadline: null, remainingMs: 12_000, sessionStartedAt: "2026-01-01T00:00:00Z" }, answers, limit, Date.now());
			expect(r).to.include({ questionIndex: 1, phase: "question", remainingMs: 12_000 });
			expect(Object.fromEntries(r.participants.map(p => [p.studentId, p.score]))).to.deep.equal({ a: 900, b: 0 });
			expect([...r.current.keys()]).to.deep.equal(["a"]);
			expect(r.participants.find(p => p.studentId === "a")!.answers).to.have.length(2);
		});

		it("counts a revealed question's points, and infers a question whose checkpoint was lost from its answers", () => {
			const revealed = resumeSession({ questionIndex: 1, phase: "revealed", deadline: null, remainingMs: null, sessionStartedAt: null }, [answer("a", 0, 900), answer("a", 1, 700)], limit, 0);
			expect(revealed.participants[0].score).to.equal(1600);
			expect(revealed.remainingMs).to.equal(0);
			const ahead = resumeSession({ questionIndex: 0, phase: "revealed", deadline: null, remainingMs: null, sessionStartedAt: null }, [answer("a", 0, 900), answer("a", 1, 700)], limit, 0);
			expect(ahead).to.include({ questionIndex: 1, phase: "question" });
			expect(ahead.participants[0].score, "question 1 not revealed yet").to.equal(900);
		});

		it("gives an open question at least RESUME_MIN_MS, never more than its limit, and starts in the lobby with nothing saved", () => {
			const late = resumeSession({ questionIndex: 0, phase: "question", deadline: new Date(0), remainingMs: null, sessionStartedAt: null }, [], limit, 60_000);
			expect(late.remainingMs).to.equal(RESUME_MIN_MS);
			const early = resumeSession({ questionIndex: 0, phase: "question", deadline: new Date(100_000), remainingMs: null, sessionStartedAt: null }, [], limit, 0);
			expect(early.remainingMs).to.equal(limit);
			const fresh = resumeSession(null, [], limit, 0);
			expect(fresh).to.include({ questionIndex: -1, phase: "lobby", remainingMs: 0 });
		});
	});

	it("builds the export archive: one JSON file per section, a manifest counting them, a README", () => {
		const { zip, manifest } = buildArchive(
			[{ part: "memory", section: "reviews", rows: [{ id: "1" }, { id: "2" }] }, { part: "users", section: "profile", rows: [{ id: "u" }] }],
			{ generatedAt: "2026-01-01T00:00:00.000Z", subject: { userId: "u", schoolId: "s" }, requestedBy: "u" },
		);
		const files = unzipSync(zip);
		expect(Object.keys(files).sort()).to.deep.equal(["README.txt", "manifest.json", "memory/reviews.json", "users/profile.json"]);
		expect(JSON.parse(strFromU8(files["memory/reviews.json"]))).to.have.length(2);
		expect(JSON.parse(strFromU8(files["manifest.json"]))).to.deep.equal(JSON.parse(JSON.stringify(manifest)));
		expect(manifest.files).to.deep.equal([
			{ path: "memory/reviews.json", part: "memory", section: "reviews", records: 2 },
			{ path: "users/profile.json", part: "users", section: "profile", records: 1 },
		]);
	});
});

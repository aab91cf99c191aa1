/**
 * `http hygiene`, the pure parts: the CORS allow-list and its settings, the realtime CORS headers, and
 * the WebSocket payload bound computed from the largest valid message.
 */
import { Packr } from "msgpackr";
import { expect } from "chai";
import { ConfigError, loadSettings } from "../../config/env.js";
import { answerBytes, chatSendBytes, msgpackStringBytes, WS_MAX_PAYLOAD } from "../../rooms/message-size.js";
import { MESSAGE_RAW_MAX_UNITS } from "../../services/communication/chat-rules.js";
import { MATCHMAKE_STATUS, realtimeCorsHeaders } from "../../services/realtime/edge.js";
import { DEV_ORIGINS, originAllowed, parseOriginList, type OriginList } from "../../services/shared/allowed-origins.js";

const list = (...entries: string[]) => parseOriginList(entries) as OriginList;

describe("http hygiene", () => {
	describe("the CORS allow-list", () => {
		it("matches exact origins, default ports included, and `*` ports", () => {
			const l = list("https://app.school.example", "http://localhost:*");
			expect(originAllowed("https://app.school.example", l)).to.equal(true);
			expect(originAllowed("https://app.school.example:443", l)).to.equal(true);
			expect(originAllowed("http://localhost:5173", l)).to.equal(true);
			expect(originAllowed("http://localhost", l)).to.equal(true);
			for (const origin of ["http://app.school.example", "https://app.school.example:8443", "https://evil.app.school.example", "https://app.school.example.evil", "https://localhost:5173", "null", "", undefined, "http://localhost:*"]) {
				expect(originAllowed(origin, l), String(origin)).to.equal(false);
			}
		});

		it("refuses entries it could not match safely, naming them", () => {
			for (const bad of [["https://*.example.org"], ["https://app.example/path"], ["app.example"], ["ftp://x.example"], ["*", "https://a.example"], ["http://x.example:70000"]]) {
				expect(parseOriginList(bad), bad.join(",")).to.be.a("string");
			}
			expect(parseOriginList(["*"])).to.deep.equal({ any: true });
		});

		it("comes from CORS_ORIGINS: local development servers by default, nothing in production", () => {
			expect(loadSettings({}).corsOrigins).to.deep.equal(parseOriginList([...DEV_ORIGINS]));
			expect(loadSettings({ NODE_ENV: "production", JWT_SECRET: "s".repeat(40) }).corsOrigins).to.deep.equal({ any: false, rules: [] });
			expect(loadSettings({ CORS_ORIGINS: "none" }).corsOrigins).to.deep.equal({ any: false, rules: [] });
			expect(loadSettings({ CORS_ORIGINS: "https://a.example, https://b.example:8443" }).corsOrigins).to.deep.equal({
				any: false,
				rules: [
					{ scheme: "https", host: "a.example", port: 443 },
					{ scheme: "https", host: "b.example", port: 8443 },
				],
			});
			expect(() => loadSettings({ CORS_ORIGINS: "https://*.example" })).to.throw(ConfigError, /CORS_ORIGINS/);
			expect(() => loadSettings({ HSTS_MAX_AGE_SECONDS: "-1" })).to.throw(ConfigError, /HSTS_MAX_AGE_SECONDS/);
		});

		it("on the realtime port: an allowed origin reflected with credentials, `*` without, others nothing", () => {
			const l = list("https://app.example");
			expect(realtimeCorsHeaders("https://app.example", l)).to.include({ "Access-Control-Allow-Origin": "https://app.example", "Access-Control-Allow-Credentials": "true" });
			expect(realtimeCorsHeaders("https://evil.example", l)).to.deep.equal({});
			expect(realtimeCorsHeaders(null, l)).to.deep.equal({});
			const any = realtimeCorsHeaders("https://evil.example", list("*"));
			expect(any).to.include({ "Access-Control-Allow-Origin": "*" });
			expect(any).not.to.have.property("Access-Control-Allow-Credentials");
		});

		it("maps Colyseus' matchmaking codes to the 4xx they mean (only an unhandled failure stays a 5xx)", () => {
			for (const [code, status] of Object.entries(MATCHMAKE_STATUS)) expect(status, code).to.be.lessThan(code === "523" ? 600 : 500);
		});
	});

	describe("the WebSocket payload bound", () => {
		it("fits the largest valid chat message, encoded as the Colyseus SDK encodes it", () => {
			const packr = new Packr({ useRecords: false });
			// 4,000 four-byte characters, and the worst raw text the validator lets through (3 bytes per UTF-16 unit).
			for (const text of ["😀".repeat(4000), "中".repeat(MESSAGE_RAW_MAX_UNITS)]) {
				const payload = packr.pack({ clientId: "c".repeat(64), text });
				// protocol byte, message type "send" with its length prefix
				expect(1 + 1 + 4 + payload.length, `${text.length} units`).to.be.at.most(WS_MAX_PAYLOAD);
			}
			expect(WS_MAX_PAYLOAD).to.equal(Math.max(chatSendBytes(), answerBytes()));
			// Not much more than that: the bound is computed, not generous.
			expect(WS_MAX_PAYLOAD).to.be.below(MESSAGE_RAW_MAX_UNITS * 3 + 1024);
		});

		it("counts msgpack string headers as msgpack writes them", () => {
			const packr = new Packr();
			for (const n of [0, 31, 32, 255, 256, 65535, 65536]) expect(msgpackStringBytes(n), String(n)).to.equal(packr.pack("a".repeat(n)).length);
		});
	});
});

/** The web client's server side, without a broker: which paths are client routes, the CSP, contact rules. */
import { expect } from "chai";
import { contentSecurityPolicy, isClientRoute, realtimeSources } from "../../services/gateway/web-client.js";
import { contactClasses } from "../../services/web/contact-rules.js";

describe("web client (unit)", () => {
	it("serves index.html for client routes only: never for the API, health, assets or file names", () => {
		for (const path of ["/", "/login", "/verify-email", "/teacher/live/6b1", "/play/ABC123", "/chat/x"]) expect(isClientRoute(path), path).to.equal(true);
		for (const path of ["/api", "/api/nope", "/health/ready", "/assets/index-1.js", "/favicon.svg", "/missing.js", "/a/b.map"]) expect(isClientRoute(path), path).to.equal(false);
	});

	it("lets pages reach the realtime node and nothing else: its public URL, or the page's host on its port", () => {
		expect(realtimeSources({ realtime: { url: "wss://live.school.example", port: 2567 } }, "app.school.example")).to.deep.equal(["wss://live.school.example", "https://live.school.example"]);
		expect(realtimeSources({ realtime: { url: null, port: 2567 } }, "localhost:8080")).to.deep.equal(["ws://localhost:2567", "wss://localhost:2567", "http://localhost:2567", "https://localhost:2567"]);
		expect(realtimeSources({ realtime: { url: null, port: 2567 } }, "[::1]:8080")[0]).to.equal("ws://[::1]:2567");
		expect(realtimeSources({ realtime: { url: null, port: 2567 } }, "evil.example; script-src *"), "a Host that is not a name adds nothing").to.deep.equal([]);
		expect(realtimeSources(null, "localhost")).to.deep.equal([]);
		const csp = contentSecurityPolicy(["ws://localhost:2567"]);
		expect(csp).to.include("script-src 'self'").and.include("connect-src 'self' ws://localhost:2567").and.include("frame-ancestors 'none'").and.not.include("unsafe");
	});

	it("names a student's teachers, a teacher's students and colleagues, an admin's whole school", () => {
		const classes = [
			{ id: "c1", name: "6A", teacherIds: ["t1", "t2"], studentIds: ["s1", "s2"] },
			{ id: "c2", name: "6B", teacherIds: ["t1"], studentIds: ["s3"] },
		];
		expect(Object.fromEntries(contactClasses({ id: "s1", roles: ["student"] }, classes))).to.deep.equal({ t1: ["6A"], t2: ["6A"] });
		expect(Object.fromEntries(contactClasses({ id: "t1", roles: ["teacher"] }, classes))).to.deep.equal({ t2: ["6A"], s1: ["6A"], s2: ["6A"], s3: ["6B"] });
		expect(Object.fromEntries(contactClasses({ id: "t2", roles: ["teacher"] }, classes))).to.deep.equal({ t1: ["6A"], s1: ["6A"], s2: ["6A"] });
		expect([...contactClasses({ id: "a", roles: ["school_admin"] }, classes).keys()].sort()).to.deep.equal(["s1", "s2", "s3", "t1", "t2"]);
		expect(contactClasses({ id: "s9", roles: ["student"] }, classes).size).to.equal(0);
	});
});

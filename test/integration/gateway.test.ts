import { expect } from "chai";
import { SignJWT } from "jose";
import { bootPlatform, http } from "../support/platform.js";

describe("gateway", () => {
	before(bootPlatform);

	it("answers liveness and readiness", async () => {
		expect((await http("GET", "/health/live")).status).to.equal(200);
		const ready = await http("GET", "/health/ready");
		expect(ready.status).to.equal(200);
		expect(ready.body).to.include({ ready: true, broker: true, database: true });
		expect(ready.body.missingRoutes).to.deep.equal([]);
	});

	it("answers an unknown route with a JSON 404", async () => {
		const res = await http("GET", "/api/no/such/route");
		expect(res.status).to.equal(404);
		expect(res.body.error.type).to.equal("ROUTE_NOT_FOUND");
		// Outside /api a path without a file extension is a route of the web client (index.html); a file that is not there is a 404.
		expect((await http("GET", "/elsewhere.txt")).status).to.equal(404);
	});

	it("answers malformed JSON with 400 MALFORMED_JSON", async () => {
		const res = await http("POST", "/api/auth/login", { raw: '{"email": "a@b.c", ' });
		expect(res.status).to.equal(400);
		expect(res.body).to.deep.equal({ error: { type: "MALFORMED_JSON", message: "The request body is not valid JSON" } });
	});

	it("answers an oversized body with 413", async () => {
		const res = await http("POST", "/api/auth/login", { raw: JSON.stringify({ email: "a@b.c", password: "x".repeat(2 * 1024 * 1024) }) });
		expect(res.status).to.equal(413);
		expect(res.body.error.type).to.equal("PAYLOAD_TOO_LARGE");
	});

	it("refuses a malformed, forged or expired bearer token with 401 INVALID_TOKEN", async () => {
		const forged = await new SignJWT({ sch: null, roles: ["platform_admin"] })
			.setProtectedHeader({ alg: "HS256" })
			.setSubject("x")
			.setIssuer("learning-platform")
			.setAudience("learning-platform-api")
			.setExpirationTime("5m")
			.sign(new TextEncoder().encode("not-the-secret-not-the-secret-xx"));
		for (const header of ["Bearer nonsense", "Basic abc", `Bearer ${forged}`]) {
			const res = await http("GET", "/api/me", { headers: { authorization: header } });
			expect(res.status, header).to.equal(401);
			expect(res.body.error.type).to.equal("INVALID_TOKEN");
		}
	});

	it("asks for authentication on protected routes", async () => {
		const res = await http("GET", "/api/me");
		expect(res.status).to.equal(401);
		expect(res.body.error.type).to.equal("UNAUTHORIZED");
	});

	it("never exposes moleculer-web's route management", async () => {
		for (const path of ["/api/api/list-aliases", "/api/list-aliases", "/api/$node/list", "/api/~node/list"]) {
			expect((await http("GET", path)).status, path).to.equal(404);
		}
	});

	it("publishes an OpenAPI document generated from the actions", async () => {
		const { broker } = await bootPlatform();
		const res = await http("GET", "/api/openapi.json");
		expect(res.status).to.equal(200);
		expect(res.body.openapi).to.match(/^3\./);
		const login = res.body.paths["/api/auth/login"].post;
		expect(login.operationId).to.equal("auth.login");
		expect(login.requestBody.content["application/json"].schema.properties).to.have.property("password");
		expect(login.security).to.equal(undefined);
		expect(res.body.paths["/api/me"].get.security).to.deep.equal([{ bearerAuth: [] }]);
		// Every action that declares a route is documented.
		const documented = new Set(
			Object.values(res.body.paths).flatMap((ops: any) => Object.values(ops).map((op: any) => op.operationId)),
		);
		const declared = (broker.registry.getActionList({ skipInternal: true }) as any[]).filter(a => a.action?.rest).map(a => a.name);
		expect(declared.filter(name => !documented.has(name))).to.deep.equal([]);
	});

	it("serves a browsable API page with its assets", async () => {
		const page = await http("GET", "/api/docs");
		expect(page.status).to.equal(200);
		expect(page.body).to.contain("swagger-ui");
		const js = await http("GET", "/api/docs/swagger-ui-bundle.js");
		expect(js.status).to.equal(200);
		expect(js.headers.get("content-type")).to.contain("javascript");
		expect((await http("GET", "/api/docs/..%2Fpackage.json")).status).to.equal(404);
	});
});

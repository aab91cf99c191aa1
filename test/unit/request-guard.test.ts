import { expect } from "chai";
import type { IncomingMessage } from "node:http";
import { assertSafeParams, assertSafeRequest, clientIp } from "../../services/gateway/request-guard.js";

const req = (remoteAddress: string, xff?: string) =>
	({ socket: { remoteAddress }, headers: xff ? { "x-forwarded-for": xff } : {} }) as unknown as IncomingMessage;

describe("request guard", () => {
	it("accepts ordinary nested params", () => {
		expect(() => assertSafeParams({ a: 1, b: [{ c: "x" }], d: { e: null } })).not.to.throw();
	});

	for (const bad of [
		JSON.parse('{"__proto__": {"admin": true}}'),
		{ email: { $gt: "" } },
		{ list: [{ $where: "1" }] },
		{ constructor: { prototype: {} } },
	]) {
		it(`rejects ${JSON.stringify(bad)}`, () => {
			expect(() => assertSafeParams(bad)).to.throw().with.property("code", 400);
		});
	}

	it("rejects absurd nesting", () => {
		let deep: any = {};
		for (let i = 0; i < 50; i++) deep = { x: deep };
		expect(() => assertSafeParams(deep)).to.throw().with.property("code", 400);
	});

	it("uses the socket address unless it is a trusted proxy", () => {
		expect(clientIp(req("::ffff:1.2.3.4", "9.9.9.9"), [])).to.equal("1.2.3.4");
		expect(clientIp(req("10.0.0.1", "9.9.9.9, 10.0.0.2"), ["10.0.0.1", "10.0.0.2"])).to.equal("9.9.9.9");
		expect(clientIp(req("10.0.0.1"), ["10.0.0.1"])).to.equal("10.0.0.1");
	});
});

describe("request guard on whole requests", () => {
	it("refuses a JSON array or scalar body", () => {
		expect(() => assertSafeRequest({ body: [{ reason: "x" }], $params: { 0: { reason: "x" } } })).to.throw().with.property("code", 400);
		expect(() => assertSafeRequest({ body: "text" })).to.throw().with.property("code", 400);
	});
	it("sees an own __proto__ key of the parsed body even after params were merged", () => {
		const body = JSON.parse('{"__proto__": {"email": "x@y.z"}, "password": "p"}');
		const merged = Object.assign({}, body);
		expect(Object.keys(merged)).not.to.include("__proto__");
		expect(() => assertSafeRequest({ body, $params: merged })).to.throw().with.property("code", 400);
		expect(() => assertSafeRequest({ body: {}, $params: merged })).to.throw().with.property("code", 400);
	});
	it("accepts an ordinary request", () => {
		expect(() => assertSafeRequest({ body: { a: 1 }, query: { page: "2" }, $params: { a: 1, page: "2" } })).not.to.throw();
	});
});

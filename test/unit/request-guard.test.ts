import { expect } from "chai";
import type { IncomingMessage } from "node:http";
import { assertSafeParams, clientIp } from "../../services/gateway/request-guard.js";

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

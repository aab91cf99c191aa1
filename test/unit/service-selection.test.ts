import { expect } from "chai";
import { ALL_SERVICES, resolveServiceNames } from "../../services/index.js";

describe("SERVICES selection", () => {
	it("runs everything by default or with all", () => {
		expect(resolveServiceNames(undefined)).to.deep.equal(ALL_SERVICES);
		expect(resolveServiceNames(["all"])).to.deep.equal(ALL_SERVICES);
	});
	it("keeps the named services", () => {
		expect(resolveServiceNames(["api", "users"])).to.deep.equal(["api", "users"]);
	});
	it("removes services named with a minus", () => {
		const apiNode = resolveServiceNames(["all", "-realtime"]);
		expect(apiNode).not.to.include("realtime");
		expect(apiNode).to.have.length(ALL_SERVICES.length - 1);
		expect(resolveServiceNames(["-realtime"])).to.deep.equal(apiNode);
	});
	it("refuses unknown names, naming SERVICES", () => {
		expect(() => resolveServiceNames(["api", "nope"])).to.throw(/SERVICES.*nope/);
		expect(() => resolveServiceNames(["all", "-nope"])).to.throw(/SERVICES.*nope/);
	});
});

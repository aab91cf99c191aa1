import { expect } from "chai";
import { ruleToSchema } from "../../services/gateway/openapi.js";

describe("openapi rule conversion", () => {
	it("converts strings with limits", () => {
		expect(ruleToSchema({ type: "string", min: 2, max: 5 })).to.deep.equal({ type: "string", minLength: 2, maxLength: 5 });
		expect(ruleToSchema("string|max:10")).to.deep.equal({ type: "string", maxLength: 10 });
	});
	it("converts numbers, enums, arrays and objects", () => {
		expect(ruleToSchema({ type: "number", integer: true, min: 1 })).to.deep.equal({ type: "integer", minimum: 1 });
		expect(ruleToSchema({ type: "enum", values: ["a", "b"] })).to.deep.equal({ enum: ["a", "b"] });
		expect(ruleToSchema({ type: "array", items: "email" })).to.deep.equal({ type: "array", items: { type: "string", format: "email" } });
		expect(ruleToSchema({ type: "object", props: { a: "string", b: { type: "number", optional: true } } })).to.deep.equal({
			type: "object",
			properties: { a: { type: "string" }, b: { type: "number" } },
			required: ["a"],
		});
	});
});

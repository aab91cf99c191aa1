import { expect } from "chai";
import { ruleToSchema } from "../../services/gateway/openapi.js";

describe("openapi rule conversion", () => {
	it("converts strings with limits", () => {
		expect(ruleToSchema({ type: "string", min: 2, max: 5 })).to.deep.equal({ type: "string", minLength: 2, maxLength: 5 });
		expect(ruleToSchema("string|max:10")).to.deep.equal({ type: "string", maxLength: 10 });
	});
	it("converts numbers, enums, arrays and objects", () => {
		expect(ruleToSchema({ type: "number", integer: true, min: 1 })).to.deep.equal({ type: "integer", minimum: 1 });
		expect(ruleToSchema({ type: "enum", values: ["a", "b"] })).to.deep.equal({ type: "string", enum: ["a", "b"] });
		expect(ruleToSchema({ type: "array", items: "email" })).to.deep.equal({ type: "array", items: { type: "string", format: "email" } });
		expect(ruleToSchema({ type: "object", props: { a: "string", b: { type: "number", optional: true } } })).to.deep.equal({
			type: "object",
			properties: { a: { type: "string" }, b: { type: "number" } },
			required: ["a"],
		});
	});
	it("is as precise as the rule: trimmed minimums, nullable, unique items, strict objects, overrides", () => {
		expect(ruleToSchema({ type: "string", trim: true, min: 1, max: 3 })).to.deep.equal({ type: "string", minLength: 1, maxLength: 3, pattern: "\\S" });
		expect(ruleToSchema({ type: "string", max: 3, optional: true, nullable: true })).to.deep.equal({ type: "string", maxLength: 3, nullable: true });
		expect(ruleToSchema({ type: "array", items: "string", unique: true, max: 2 })).to.deep.equal({ type: "array", items: { type: "string" }, uniqueItems: true, maxItems: 2 });
		expect(ruleToSchema({ type: "object", strict: true, props: { a: "boolean" } })).to.deep.equal({
			type: "object",
			properties: { a: { type: "boolean" } },
			required: ["a"],
			additionalProperties: false,
		});
		expect(ruleToSchema({ type: "any", openapi: { type: "object", title: "x" } })).to.deep.equal({ type: "object", title: "x" });
		expect(ruleToSchema({ type: "object", props: { gone: { type: "forbidden" }, kept: "number|optional" } })).to.deep.equal({ type: "object", properties: { kept: { type: "number" } } });
	});
});

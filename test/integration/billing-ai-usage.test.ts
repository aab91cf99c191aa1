/**
 * AI tokens reach the invoice: the AI block's durable `ai.usage` messages become billing usage records,
 * once per message id, in the month the tokens were spent.
 */
import { expect } from "chai";
import { publishDurable } from "../../services/shared/durable.js";
import { signupSchool } from "../support/accounts.js";
import { bootPlatform, systemMeta } from "../support/platform.js";

describe("billing of AI usage", function () {
	this.timeout(60_000);
	it("records each ai.usage message once, as ai_tokens at its own time", async () => {
		const { broker } = await bootPlatform();
		const school = await signupSchool();
		const schoolId = school.school.id;
		const message = { id: `ai.usage:${schoolId}:1`, schoolId, month: "2039-03", kind: "tutor", promptTokens: 1200, completionTokens: 300, tokens: 1500, occurredAt: "2039-03-31T22:30:00.000Z" };
		await publishDurable(broker, "ai.usage", message);
		await publishDurable(broker, "ai.usage", message); // a redelivery
		await publishDurable(broker, "ai.usage", { ...message, id: `ai.usage:${schoolId}:2`, tokens: 500, occurredAt: "2039-04-01T08:00:00.000Z" });
		const tokens = async (start: string, end: string): Promise<number | undefined> => {
			const rows: any = await broker.call("billingUsage.totals", { schoolIds: [schoolId], start, end }, { meta: systemMeta() });
			return rows[schoolId]?.ai_tokens;
		};
		const deadline = Date.now() + 10_000;
		while ((await tokens("2039-03-01T00:00:00Z", "2039-05-01T00:00:00Z")) !== 2000 && Date.now() < deadline) await new Promise(r => setTimeout(r, 50));
		expect(await tokens("2039-03-01T00:00:00Z", "2039-04-01T00:00:00Z"), "March: the redelivery counted once").to.equal(1500);
		expect(await tokens("2039-04-01T00:00:00Z", "2039-05-01T00:00:00Z"), "April").to.equal(500);
	});
});

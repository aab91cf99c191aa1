/**
 * `two nodes over NATS`: nodes started together subscribe to the same durable consumers at once. JetStream
 * refuses the second creation of a consumer (10013, "consumer name already in use"); the node must still
 * start and share the consumer's queue group (services/shared/durable.ts).
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { ServiceBroker } from "moleculer";
import { channelsMiddleware } from "../../services/shared/durable.js";

const CHANNELS = 30;

function node(natsUrl: string, namespace: string, name: string, received: string[]): ServiceBroker {
	const broker = new ServiceBroker({ namespace, nodeID: `${namespace}-${name}`, transporter: { type: "NATS", options: { url: natsUrl } }, logger: false, middlewares: [channelsMiddleware(natsUrl)] });
	const channels: Record<string, unknown> = {};
	for (let i = 0; i < CHANNELS; i++) channels[`race.c${i}`] = { group: "race-consumers", handler: (ctx: { params: { n: string } }) => void received.push(`${name}:${ctx.params.n}`) };
	broker.createService({ name: "racer", channels } as any);
	return broker;
}

describe("two nodes over NATS: durable consumers created at once", function () {
	this.timeout(120_000);

	it("both nodes start and share each consumer: a message reaches one of them once", async function () {
		const natsUrl = process.env.NATS_URL;
		if (!natsUrl) {
			console.log("      skipped: NATS_URL is not set (the consumers are JetStream's)");
			return this.skip();
		}
		for (let round = 0; round < 3; round++) {
			const namespace = `race-${randomBytes(4).toString("hex")}`;
			const received: string[] = [];
			const a = node(natsUrl, namespace, "a", received);
			const b = node(natsUrl, namespace, "b", received);
			try {
				await Promise.all([a.start(), b.start()]);
				for (let i = 0; i < CHANNELS; i++) await (a as any).sendToChannel(`race.c${i}`, { n: `${i}` });
				const deadline = Date.now() + 20_000;
				while (received.length < CHANNELS && Date.now() < deadline) await new Promise(r => setTimeout(r, 50));
				await new Promise(r => setTimeout(r, 300));
				expect(received.map(r => r.split(":")[1]).sort()).to.deep.equal([...Array(CHANNELS).keys()].map(String).sort());
			} finally {
				await Promise.all([a.stop(), b.stop()]);
			}
		}
	});
});

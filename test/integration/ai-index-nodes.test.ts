/**
 * `rag tenancy` across nodes: each node that answers keeps its own retrieval indexes, so the durable
 * `ai.index.invalidated` event must reach every node (a consumer group per node), over NATS JetStream.
 * Two brokers of the AI sources service run in this process on a namespace of their own; both build the
 * index of a path, one event is published, and both drop it. A source detached meanwhile never answers
 * from either node, event or not (the index signature is checked on every question).
 */
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { ServiceBroker } from "moleculer";
import SourcesService from "../../services/ai/sources.service.js";
import { channelsMiddleware, publishDurable } from "../../services/shared/durable.js";
import { activePath, aiSchool, BIOLOGY_MD, questionItem, readySource, requireModel } from "../support/ai.js";
import { schoolSystemMeta } from "../support/learning-content.js";
import { http, requireEnv } from "../support/platform.js";

describe("rag tenancy: index invalidation reaches every node", function () {
	this.timeout(120_000);
	const brokers: ServiceBroker[] = [];

	before(function () {
		requireModel(this);
	});

	after(async () => {
		await Promise.all(brokers.map(b => b.stop()));
	});

	it("two nodes build their own index of a path; one durable event drops both; a detached source never answers", async () => {
		const natsUrl = requireEnv("NATS_URL");
		const s = await aiSchool({ students: 1 });
		const item = await questionItem(s.teacher, { kind: "flashcard", title: "ATP", front: "What makes ATP?", back: "Mitochondrion" });
		const path = await activePath(s.teacher, s.students, [item]);
		const source = await readySource(s.teacher, { format: "markdown", text: BIOLOGY_MD, pathIds: [path.id] });

		const namespace = `ai-nodes-${randomUUID().slice(0, 8)}`;
		for (const nodeID of ["ai-x", "ai-y"]) {
			const broker = new ServiceBroker({
				namespace,
				nodeID,
				transporter: { type: "NATS", options: { url: natsUrl } },
				logger: false,
				validator: true,
				serializer: "JSON",
				middlewares: [channelsMiddleware(natsUrl)],
			});
			broker.createService(SourcesService as any);
			brokers.push(broker);
		}
		// One after the other: two nodes creating the same JetStream consumer group (ai-ingestion) at the same
		// instant race in @moleculer/channels 0.1.8 ("consumer name already in use"); a deployment starts them apart.
		for (const b of brokers) await b.start();
		await Promise.all(brokers.map(b => b.waitForServices(["aiSources"])));
		const meta = schoolSystemMeta(s.school.id) as any;
		const indexesOf = (b: ServiceBroker) => (b.getLocalService("aiSources") as any).indexes;
		for (const b of brokers) {
			const hits = (await b.call("aiSources.retrieve", { pathId: path.id, query: "Where is ATP produced?" }, { meta, nodeID: b.nodeID })) as any[];
			expect(hits[0].sourceId).to.equal(source.id);
			expect(indexesOf(b).size, `${b.nodeID} holds the path's index`).to.equal(1);
		}

		await publishDurable(brokers[0], "ai.index.invalidated", { schoolId: s.school.id, pathIds: [path.id], sourceIds: [source.id] });
		const deadline = Date.now() + 15_000;
		while (brokers.some(b => indexesOf(b).size > 0) && Date.now() < deadline) await new Promise(r => setTimeout(r, 50));
		expect(brokers.map(b => indexesOf(b).size), "indexes left on each node").to.deep.equal([0, 0]);

		// Rebuilt on demand, then the source is detached through the platform: no node may answer from it again.
		for (const b of brokers) await b.call("aiSources.retrieve", { pathId: path.id, query: "ATP" }, { meta, nodeID: b.nodeID });
		const detached = await http("PATCH", `/api/ai/sources/${source.id}`, { token: s.teacher.token, body: { pathIds: [] } });
		expect(detached.status).to.equal(200);
		for (const b of brokers) {
			const hits = (await b.call("aiSources.retrieve", { pathId: path.id, query: "Where is ATP produced?" }, { meta, nodeID: b.nodeID })) as any[];
			expect(hits, `${b.nodeID} after detaching`).to.deep.equal([]);
		}
	});
});

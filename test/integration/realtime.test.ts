import { Client } from "@colyseus/sdk";
import { expect } from "chai";
import { ServiceBroker } from "moleculer";
import RealtimeService from "../../services/realtime/realtime.service.js";
import { bootPlatform } from "../support/platform.js";

describe("realtime (Colyseus server)", () => {
	let port: number;

	before(async () => {
		const { broker } = await bootPlatform();
		port = (broker.getLocalService("realtime") as any).port;
	});

	it("listens on the port it reports (a random one in tests)", () => {
		expect(port).to.be.a("number").and.to.be.greaterThan(0);
	});

	it("answers matchmaking over HTTP and refuses an unknown room type", async () => {
		const res = await fetch(`http://127.0.0.1:${port}/matchmake/joinOrCreate/no_such_room`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: "{}",
		});
		expect(res.status).to.be.within(400, 599);
		const body = await res.json();
		expect(JSON.stringify(body)).to.match(/no_such_room/);
	});

	it("makes the SDK fail clearly when joining an unknown room type", async () => {
		const client = new Client(`ws://127.0.0.1:${port}`);
		const err: any = await client.joinOrCreate("no_such_room").then(
			() => null,
			e => e,
		);
		expect(err, "joining must fail").to.be.instanceOf(Error);
		expect(err.message).to.match(/no_such_room/);
	});

	it("refuses to start a second Colyseus server in the same process", async () => {
		const second = new ServiceBroker({ logger: false, nodeID: "second-realtime" });
		second.createService(RealtimeService);
		try {
			const err: any = await second.start().then(
				() => null,
				e => e,
			);
			expect(err?.message).to.match(/already runs in this process/);
		} finally {
			await second.stop().catch(() => undefined);
		}
		// The first server is untouched.
		const res = await fetch(`http://127.0.0.1:${port}/matchmake/joinOrCreate/still_here`, { method: "POST", body: "{}" });
		expect(res.status).to.be.within(400, 599);
	});
});

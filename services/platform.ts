/**
 * Builds a broker with the chosen services: used by the start script, the tests and the benchmarks,
 * so all of them run exactly the same wiring.
 */
import { ServiceBroker, type BrokerOptions } from "moleculer";
import { brokerOptions } from "../moleculer.config.js";
import { SERVICE_LOADERS, resolveServiceNames } from "./index.js";

export async function createPlatformBroker(services?: string[], overrides: Partial<BrokerOptions> = {}): Promise<ServiceBroker> {
	const broker = new ServiceBroker(brokerOptions(overrides));
	for (const name of resolveServiceNames(services)) {
		broker.createService(await SERVICE_LOADERS[name]());
	}
	// Every node serves its own metrics, whatever SERVICES says (services/ops/ops.service.ts).
	if (!broker.getLocalService("ops")) broker.createService((await import("./ops/ops.service.js")).default);
	return broker;
}

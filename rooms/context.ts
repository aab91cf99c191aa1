/**
 * What rooms need from the process they run in: the broker (to call the owning services as the
 * connected user) and the relay of broker events. Set by the realtime service when it starts and
 * cleared when it stops. Rooms read it here rather than from their create options, which clients
 * write: nothing a client sends can swap the broker a room talks to.
 */
import type { Logger, ServiceBroker } from "moleculer";
import { AnswerWriters } from "./answer-writer.js";
import { Relay } from "./relay.js";

export interface RoomContext {
	broker: ServiceBroker;
	relay: Relay;
	/** The group rooms' shared answer writers (answer-writer.ts). */
	answers: AnswerWriters;
	logger: Logger;
}

let current: RoomContext | undefined;

export function setRoomContext(context: RoomContext | undefined): void {
	current = context;
}

export function roomContext(): RoomContext {
	if (!current) throw new Error("Rooms run only inside the realtime service (no room context set)");
	return current;
}

export function hasRoomContext(): boolean {
	return current !== undefined;
}

export function createRoomContext(broker: ServiceBroker, logger: Logger): RoomContext {
	return { broker, relay: new Relay(), answers: new AnswerWriters(broker), logger };
}

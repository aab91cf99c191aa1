/**
 * The process-local switchboard between broker events and rooms: the realtime service publishes what a
 * moleculer event says (a message for conversation X, a notification for user Y, account Z suspended),
 * and the rooms of this process that subscribed to that topic and key receive it. Rooms subscribe
 * through PlatformRoom, which removes every subscription when a client leaves or the room is disposed.
 */
export type RelayTopic = "conversation" | "user" | "account" | (string & {});
export type RelayListener = (payload: any) => void;

export class Relay {
	private readonly listeners = new Map<string, Set<RelayListener>>();

	subscribe(topic: RelayTopic, key: string, listener: RelayListener): () => void {
		const id = `${topic}\u0000${key}`;
		let set = this.listeners.get(id);
		if (!set) this.listeners.set(id, (set = new Set()));
		set.add(listener);
		return () => {
			const current = this.listeners.get(id);
			if (!current) return;
			current.delete(listener);
			if (current.size === 0) this.listeners.delete(id);
		};
	}

	/** Delivers to every local listener of (topic, key); returns how many there were. */
	publish(topic: RelayTopic, key: string, payload: unknown): number {
		const set = this.listeners.get(`${topic}\u0000${key}`);
		if (!set) return 0;
		for (const listener of [...set]) listener(payload);
		return set.size;
	}

	/** Subscriptions still open, all topics together (0 once every room is gone). */
	size(): number {
		let n = 0;
		for (const set of this.listeners.values()) n += set.size;
		return n;
	}
}

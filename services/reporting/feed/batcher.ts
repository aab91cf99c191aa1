/**
 * Gathers the messages the channels hand over one by one into batches (up to `maxSize`, or whatever came in
 * `lingerMs`), so the projections are written in a few round trips per batch instead of several per message.
 * Each message's handler waits for its batch: the channel acknowledges a message only once it is written, and
 * a failed batch fails every message in it (the channel redelivers them; counting is idempotent by id).
 */
import type { FeedRow } from "../../shared/feed-export.js";

interface Pending {
	row: FeedRow;
	resolve: () => void;
	reject: (err: unknown) => void;
}

export class MicroBatcher {
	private queue: Pending[] = [];
	private timer: NodeJS.Timeout | null = null;
	private running = 0;
	private idleWaiters: (() => void)[] = [];

	constructor(
		private readonly write: (rows: FeedRow[]) => Promise<unknown>,
		private readonly opts: { maxSize: number; lingerMs: number; concurrency: number },
	) {}

	add(row: FeedRow): Promise<void> {
		return new Promise((resolve, reject) => {
			this.queue.push({ row, resolve, reject });
			if (this.queue.length >= this.opts.maxSize) this.kick();
			else this.timer ??= setTimeout(() => this.kick(), this.opts.lingerMs);
		});
	}

	/** Resolves once nothing is queued or being written. */
	idle(): Promise<void> {
		if (this.queue.length === 0 && this.running === 0) return Promise.resolve();
		return new Promise(resolve => this.idleWaiters.push(resolve));
	}

	private kick(): void {
		if (this.timer) {
			clearTimeout(this.timer);
			this.timer = null;
		}
		while (this.queue.length > 0 && this.running < this.opts.concurrency) {
			const batch = this.queue.splice(0, this.opts.maxSize);
			this.running++;
			this.write(batch.map(p => p.row))
				.then(() => batch.forEach(p => p.resolve()), err => batch.forEach(p => p.reject(err)))
				.finally(() => {
					this.running--;
					if (this.queue.length > 0) this.kick();
					else if (this.running === 0) this.idleWaiters.splice(0).forEach(w => w());
				});
		}
		// Still queued with every writer busy: the next batch starts when a running one ends (the finally above).
	}
}

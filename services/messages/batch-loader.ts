/**
 * Looks values up by key in batches: keys asked for within one turn of the event loop go to
 * `fetch` together (a claim of 2,000 messages asks once, not 2,000 times), a key already being
 * fetched is not asked again, and a value found is kept for `ttlMs` (0: not kept). `fetch` may
 * answer an Error for one key, which fails that key's callers only; a failed fetch fails them all.
 * A failure is not remembered.
 */
export class BatchLoader<V> {
	private readonly cache = new Map<string, { at: number; value: Promise<V | undefined> }>();
	private queued = new Map<string, Waiting<V | undefined>>();
	private scheduled = false;

	constructor(
		private readonly fetch: (keys: string[]) => Promise<Map<string, V | Error>>,
		private readonly ttlMs: number,
		/** Most values kept; the oldest go first. */
		private readonly maxEntries = 10_000,
	) {}

	load(key: string): Promise<V | undefined> {
		const hit = this.cache.get(key);
		if (hit && Date.now() - hit.at < this.ttlMs) return hit.value;
		let waiting = this.queued.get(key);
		if (!waiting) {
			waiting = waitingFor<V | undefined>();
			this.queued.set(key, waiting);
			this.remember(key, waiting.promise);
			if (!this.scheduled) {
				this.scheduled = true;
				setImmediate(() => this.flush());
			}
		}
		return waiting.promise;
	}

	/** A value learnt another way (a change event); kept as if fetched now. */
	set(key: string, value: V): void {
		this.remember(key, Promise.resolve(value));
	}

	delete(key: string): void {
		this.cache.delete(key);
	}

	clear(): void {
		this.cache.clear();
	}

	private remember(key: string, value: Promise<V | undefined>): void {
		if (this.ttlMs <= 0) return;
		this.cache.delete(key);
		this.cache.set(key, { at: Date.now(), value });
		if (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
		value.catch(() => this.cache.get(key)?.value === value && this.cache.delete(key));
	}

	private flush(): void {
		this.scheduled = false;
		const batch = this.queued;
		this.queued = new Map();
		this.fetch([...batch.keys()]).then(
			found => {
				for (const [key, waiting] of batch) {
					const value = found.get(key);
					if (value instanceof Error) waiting.reject(value);
					else waiting.resolve(value);
				}
			},
			err => {
				for (const waiting of batch.values()) waiting.reject(err);
			},
		);
	}
}

interface Waiting<T> {
	promise: Promise<T>;
	resolve(value: T): void;
	reject(err: unknown): void;
}

function waitingFor<T>(): Waiting<T> {
	let resolve!: (value: T) => void;
	let reject!: (err: unknown) => void;
	const promise = new Promise<T>((res, rej) => {
		resolve = res;
		reject = rej;
	});
	return { promise, resolve, reject };
}

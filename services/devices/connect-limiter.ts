import type { Redis } from 'ioredis';

/**
 * How many devices may be connecting (handshake, login, pre-key upload) at once across the fleet,
 * so a restart or a takeover does not open every socket in the same second. A permit is held from
 * `acquire` until `release` (the socket opened or closed); a permit whose holder died expires.
 */
export interface ConnectLimiter {
	acquire(deviceId: string, signal?: AbortSignal): Promise<void>;
	release(deviceId: string): Promise<void>;
	/** Most permits this process held at once (for benchmarks and the fleet page). */
	readonly peak: number;
	readonly inUse: number;
}

function wait(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise((resolve, reject) => {
		if (signal?.aborted) return reject(signal.reason);
		const onAbort = () => {
			clearTimeout(timer);
			reject(signal!.reason);
		};
		const timer = setTimeout(() => {
			signal?.removeEventListener('abort', onAbort);
			resolve();
		}, ms);
		signal?.addEventListener('abort', onAbort, { once: true });
	});
}

/** One process: a counting semaphore, first come first served. */
export class LocalConnectLimiter implements ConnectLimiter {
	private readonly holders = new Set<string>();
	private readonly queue: { deviceId: string; admit: () => void }[] = [];
	peak = 0;

	constructor(private readonly limit: number) {}

	get inUse(): number {
		return this.holders.size;
	}

	acquire(deviceId: string, signal?: AbortSignal): Promise<void> {
		if (this.holders.has(deviceId)) return Promise.resolve();
		if (this.holders.size < this.limit) {
			this.admit(deviceId);
			return Promise.resolve();
		}
		return new Promise((resolve, reject) => {
			const onAbort = () => {
				const at = this.queue.indexOf(entry);
				if (at >= 0) this.queue.splice(at, 1);
				reject(signal!.reason);
			};
			const entry = {
				deviceId,
				admit: () => {
					signal?.removeEventListener('abort', onAbort);
					resolve();
				},
			};
			this.queue.push(entry);
			signal?.addEventListener('abort', onAbort, { once: true });
		});
	}

	async release(deviceId: string): Promise<void> {
		if (!this.holders.delete(deviceId)) return;
		const next = this.queue.shift();
		if (next) {
			this.admit(next.deviceId);
			next.admit();
		}
	}

	private admit(deviceId: string): void {
		this.holders.add(deviceId);
		this.peak = Math.max(this.peak, this.holders.size);
	}
}

/** Removes expired permits, then admits the caller if fewer than the limit are held. */
const ACQUIRE = `
redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[1])
if redis.call('zscore', KEYS[1], ARGV[4]) then
	redis.call('zadd', KEYS[1], ARGV[2], ARGV[4])
	return 1
end
if redis.call('zcard', KEYS[1]) < tonumber(ARGV[3]) then
	redis.call('zadd', KEYS[1], ARGV[2], ARGV[4])
	return 1
end
return 0`;

/** The whole fleet: permits in one Redis sorted set, scored by when they expire. */
export class RedisConnectLimiter implements ConnectLimiter {
	private readonly held = new Set<string>();
	peak = 0;

	constructor(
		private readonly redis: Redis,
		private readonly key: string,
		private readonly limit: number,
		private readonly permitTtlMs = 60_000,
	) {}

	get inUse(): number {
		return this.held.size;
	}

	async acquire(deviceId: string, signal?: AbortSignal): Promise<void> {
		for (;;) {
			signal?.throwIfAborted();
			const now = Date.now();
			const admitted = await this.redis.eval(ACQUIRE, 1, this.key, now, now + this.permitTtlMs, this.limit, deviceId);
			if (admitted === 1) {
				this.held.add(deviceId);
				this.peak = Math.max(this.peak, this.held.size);
				return;
			}
			await wait(150 + Math.random() * 350, signal);
		}
	}

	async release(deviceId: string): Promise<void> {
		if (!this.held.delete(deviceId)) return;
		await this.redis.zrem(this.key, deviceId);
	}
}

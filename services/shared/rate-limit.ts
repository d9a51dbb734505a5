import type { Redis } from 'ioredis';

export interface RateLimitResult {
	allowed: boolean;
	/** Seconds until the window that refused this hit ends. */
	retryAfterSeconds: number;
}

/** Fixed-window counters: at most `max` hits per key per `windowMs`. */
export interface RateLimiter {
	hit(key: string): Promise<RateLimitResult>;
	reset(key: string): Promise<void>;
}

export interface RateLimitOptions {
	name: string;
	max: number;
	windowMs: number;
	/** Shared counters across nodes; without it each process counts alone. */
	redis?: Redis;
}

export function createRateLimiter(options: RateLimitOptions): RateLimiter {
	return options.redis ? redisLimiter(options, options.redis) : memoryLimiter(options);
}

function memoryLimiter({ max, windowMs }: RateLimitOptions): RateLimiter {
	const windows = new Map<string, { count: number; endsAt: number }>();
	let nextSweep = 0;
	return {
		async hit(key) {
			const now = Date.now();
			if (now >= nextSweep) {
				for (const [k, w] of windows) if (w.endsAt <= now) windows.delete(k);
				nextSweep = now + windowMs;
			}
			let w = windows.get(key);
			if (!w || w.endsAt <= now) {
				w = { count: 0, endsAt: now + windowMs };
				windows.set(key, w);
			}
			w.count += 1;
			return { allowed: w.count <= max, retryAfterSeconds: Math.ceil((w.endsAt - now) / 1000) };
		},
		async reset(key) {
			windows.delete(key);
		},
	};
}

function redisLimiter({ name, max, windowMs }: RateLimitOptions, redis: Redis): RateLimiter {
	const redisKey = (key: string) => `fc:rl:${name}:${key}`;
	return {
		async hit(key) {
			const k = redisKey(key);
			const [[, count], [, ttl]] = (await redis.multi().incr(k).pttl(k).exec()) as [[null, number], [null, number]];
			let remaining = ttl;
			if (ttl < 0) {
				await redis.pexpire(k, windowMs);
				remaining = windowMs;
			}
			return { allowed: count <= max, retryAfterSeconds: Math.ceil(remaining / 1000) };
		},
		async reset(key) {
			await redis.del(redisKey(key));
		},
	};
}

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

/**
 * Failures of one key (a sign-in's email from one address) with a growing wait: the first `free`
 * failures cost nothing, then each one doubles the wait before the next attempt, from `baseMs` up
 * to `maxMs`. Failures are forgotten `windowMs` after the last one, or at once on `reset`.
 */
export interface FailureBackoff {
	/** Whether an attempt may be made now, and if not, how long until it may. */
	check(key: string): Promise<RateLimitResult>;
	fail(key: string): Promise<void>;
	reset(key: string): Promise<void>;
}

export interface BackoffOptions {
	name: string;
	free: number;
	baseMs: number;
	maxMs: number;
	windowMs: number;
	redis?: Redis;
}

export function createFailureBackoff(options: BackoffOptions): FailureBackoff {
	const { free, baseMs, maxMs } = options;
	const verdict = (failures: number, lastAt: number, now = Date.now()): RateLimitResult => {
		if (failures < free) return { allowed: true, retryAfterSeconds: 0 };
		const waitUntil = lastAt + Math.min(maxMs, baseMs * 2 ** (failures - free));
		return waitUntil <= now ? { allowed: true, retryAfterSeconds: 0 } : { allowed: false, retryAfterSeconds: Math.ceil((waitUntil - now) / 1000) };
	};
	if (options.redis) {
		const redis = options.redis;
		const redisKey = (key: string) => `fc:backoff:${options.name}:${key}`;
		return {
			async check(key) {
				const [failures, lastAt] = await redis.hmget(redisKey(key), 'failures', 'lastAt');
				return verdict(Number(failures ?? 0), Number(lastAt ?? 0));
			},
			async fail(key) {
				const k = redisKey(key);
				await redis.multi().hincrby(k, 'failures', 1).hset(k, 'lastAt', Date.now()).pexpire(k, options.windowMs).exec();
			},
			async reset(key) {
				await redis.del(redisKey(key));
			},
		};
	}
	const entries = new Map<string, { failures: number; lastAt: number }>();
	const current = (key: string, now: number) => {
		const entry = entries.get(key);
		if (entry && entry.lastAt + options.windowMs <= now) entries.delete(key);
		return entries.get(key);
	};
	return {
		async check(key) {
			const entry = current(key, Date.now());
			return verdict(entry?.failures ?? 0, entry?.lastAt ?? 0);
		},
		async fail(key) {
			const now = Date.now();
			const entry = current(key, now) ?? { failures: 0, lastAt: now };
			entries.set(key, { failures: entry.failures + 1, lastAt: now });
			// Old keys go when the map grows: a flood of guessed emails cannot fill memory for long.
			if (entries.size > 100_000) for (const [k, e] of entries) if (e.lastAt + options.windowMs <= now) entries.delete(k);
		},
		async reset(key) {
			entries.delete(key);
		},
	};
}

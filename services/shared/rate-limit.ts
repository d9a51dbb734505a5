import type { Redis } from 'ioredis';

export interface RateLimitResult {
	allowed: boolean;
	/** Seconds until the window that refused this hit ends. */
	retryAfterSeconds: number;
}

/** Fixed-window counters: at most `max` hits per key per `windowMs`. */
export interface RateLimiter {
	hit(key: string): Promise<RateLimitResult>;
	/** Whether one more hit would be allowed now, without counting one. */
	peek(key: string): Promise<RateLimitResult>;
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
		async peek(key) {
			const now = Date.now();
			const w = windows.get(key);
			return !w || w.endsAt <= now || w.count < max ? { allowed: true, retryAfterSeconds: 0 } : { allowed: false, retryAfterSeconds: Math.ceil((w.endsAt - now) / 1000) };
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
		async peek(key) {
			const k = redisKey(key);
			const [[, count], [, ttl]] = (await redis.multi().get(k).pttl(k).exec()) as [[null, string | null], [null, number]];
			return Number(count ?? 0) < max ? { allowed: true, retryAfterSeconds: 0 } : { allowed: false, retryAfterSeconds: Math.ceil(Math.max(ttl, 0) / 1000) };
		},
		async reset(key) {
			await redis.del(redisKey(key));
		},
	};
}

/**
 * Attempts of one key (a sign-in's email from one address) with a growing wait: an attempt counts
 * as a failure from the moment it is let through, until `reset` says it succeeded. The first
 * `free` failures cost nothing, then each one doubles the wait before the next attempt, from
 * `baseMs` up to `maxMs`. Letting an attempt through and counting it is one step, so attempts sent
 * at once cannot all slip past. Failures are forgotten `windowMs` after the last one.
 */
export interface FailureBackoff {
	/** Whether an attempt may be made now (and then it is counted), and how many failures came before it. */
	attempt(key: string): Promise<RateLimitResult & { failuresBefore: number }>;
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

/** Reads the failures and the last one's time, refuses while the wait lasts, else counts this attempt: atomically. */
const ATTEMPT_SCRIPT = `
local failures = tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')
local lastAt = tonumber(redis.call('HGET', KEYS[1], 'lastAt') or '0')
local now, free, base, max, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
if failures >= free then
  local waitUntil = lastAt + math.min(max, base * 2 ^ (failures - free))
  if waitUntil > now then return {0, waitUntil - now, failures} end
end
redis.call('HSET', KEYS[1], 'failures', failures + 1, 'lastAt', now)
redis.call('PEXPIRE', KEYS[1], window)
return {1, 0, failures}`;

export function createFailureBackoff(options: BackoffOptions): FailureBackoff {
	const { free, baseMs, maxMs, windowMs } = options;
	if (options.redis) {
		const redis = options.redis;
		const redisKey = (key: string) => `fc:backoff:${options.name}:${key}`;
		return {
			async attempt(key) {
				const [allowed, waitMs, failures] = (await redis.eval(ATTEMPT_SCRIPT, 1, redisKey(key), Date.now(), free, baseMs, maxMs, windowMs)) as [number, number, number];
				return { allowed: allowed === 1, retryAfterSeconds: Math.ceil(waitMs / 1000), failuresBefore: failures };
			},
			async reset(key) {
				await redis.del(redisKey(key));
			},
		};
	}
	const entries = new Map<string, { failures: number; lastAt: number }>();
	let sweptAt = 0;
	return {
		async attempt(key) {
			const now = Date.now();
			// Old keys go now and then: a flood of guessed emails cannot fill memory for long.
			if (entries.size > 100_000 && now - sweptAt > 60_000) {
				sweptAt = now;
				for (const [k, e] of entries) if (e.lastAt + windowMs <= now) entries.delete(k);
			}
			let entry = entries.get(key);
			if (entry && entry.lastAt + windowMs <= now) entry = undefined;
			const failures = entry?.failures ?? 0;
			if (failures >= free && entry) {
				const waitUntil = entry.lastAt + Math.min(maxMs, baseMs * 2 ** (failures - free));
				if (waitUntil > now) return { allowed: false, retryAfterSeconds: Math.ceil((waitUntil - now) / 1000), failuresBefore: failures };
			}
			entries.set(key, { failures: failures + 1, lastAt: now });
			return { allowed: true, retryAfterSeconds: 0, failuresBefore: failures };
		},
		async reset(key) {
			entries.delete(key);
		},
	};
}

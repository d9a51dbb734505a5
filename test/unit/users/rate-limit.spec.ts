import { Redis } from 'ioredis';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createFailureBackoff, createRateLimiter, type FailureBackoff, type RateLimiter } from '../../../services/shared/rate-limit.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisUp = await new Promise<boolean>(resolve => {
	const { hostname, port } = new URL(REDIS_URL);
	const s = net.connect(Number(port), hostname);
	s.once('connect', () => (s.destroy(), resolve(true)));
	s.once('error', () => resolve(false));
});
const redis = redisUp ? new Redis(REDIS_URL) : undefined;
afterAll(async () => {
	await redis?.quit();
});

const variants: [string, () => RateLimiter][] = [['in memory', () => createRateLimiter({ name: `t${Math.random()}`, max: 3, windowMs: 60_000 })]];
if (redis || process.env.CI) variants.push(['in Redis, shared across nodes', () => createRateLimiter({ name: `t${Math.random()}`, max: 3, windowMs: 60_000, redis })]);

describe.each(variants)('login rate limiter (%s)', (_name, make) => {
	it('allows max hits per window, then refuses with the time left', async () => {
		const limiter = make();
		const results = [];
		for (let i = 0; i < 4; i++) results.push(await limiter.hit('a@example.com'));
		expect(results.map(r => r.allowed)).toEqual([true, true, true, false]);
		expect(results[3].retryAfterSeconds).toBeGreaterThan(0);
		expect(results[3].retryAfterSeconds).toBeLessThanOrEqual(60);
		expect((await limiter.hit('other@example.com')).allowed).toBe(true);
	});

	it('starts over after a reset', async () => {
		const limiter = make();
		for (let i = 0; i < 4; i++) await limiter.hit('b@example.com');
		await limiter.reset('b@example.com');
		expect((await limiter.hit('b@example.com')).allowed).toBe(true);
	});
});

const backoffs: [string, () => FailureBackoff][] = [['in memory', () => createFailureBackoff({ name: `b${Math.random()}`, free: 2, baseMs: 1_000, maxMs: 4_000, windowMs: 60_000 })]];
if (redis || process.env.CI) backoffs.push(['in Redis, shared across nodes', () => createFailureBackoff({ name: `b${Math.random()}`, free: 2, baseMs: 1_000, maxMs: 4_000, windowMs: 60_000, redis })]);

describe.each(backoffs)('sign-in failure backoff (%s)', (_name, make) => {
	it('lets the free failures pass, then doubles the wait after each failure up to the cap, and forgets on success', async () => {
		const backoff = make();
		const key = 'owner@example.com|198.51.100.1';
		for (let i = 0; i < 2; i++) {
			expect((await backoff.check(key)).allowed).toBe(true);
			await backoff.fail(key);
		}
		expect(await backoff.check(key)).toEqual({ allowed: false, retryAfterSeconds: 1 });
		await backoff.fail(key);
		expect(await backoff.check(key)).toEqual({ allowed: false, retryAfterSeconds: 2 });
		await backoff.fail(key);
		await backoff.fail(key);
		expect(await backoff.check(key)).toEqual({ allowed: false, retryAfterSeconds: 4 });
		// Another address, or another email, is not held back.
		expect((await backoff.check('owner@example.com|198.51.100.2')).allowed).toBe(true);
		await backoff.reset(key);
		expect((await backoff.check(key)).allowed).toBe(true);
	});
});

import { Redis } from 'ioredis';
import net from 'node:net';
import { afterAll, describe, expect, it, vi } from 'vitest';
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

	it('peeks without counting', async () => {
		const limiter = make();
		for (let i = 0; i < 3; i++) expect((await limiter.peek('c@example.com')).allowed).toBe(true);
		for (let i = 0; i < 3; i++) await limiter.hit('c@example.com');
		expect((await limiter.peek('c@example.com')).allowed).toBe(false);
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
	it('lets the free failures through, then doubles the wait after each failure up to the cap, and forgets on success', async () => {
		const backoff = make();
		const key = 'owner@example.com|198.51.100.1';
		// Every attempt let through counts as a failure until it is reset.
		expect((await backoff.attempt(key)).failuresBefore).toBe(0);
		expect(await backoff.attempt(key)).toEqual({ allowed: true, retryAfterSeconds: 0, failuresBefore: 1 });
		expect(await backoff.attempt(key)).toEqual({ allowed: false, retryAfterSeconds: 1, failuresBefore: 2 });
		// Another address, or another email, is not held back.
		expect((await backoff.attempt('owner@example.com|198.51.100.2')).allowed).toBe(true);
		await backoff.reset(key);
		expect(await backoff.attempt(key)).toEqual({ allowed: true, retryAfterSeconds: 0, failuresBefore: 0 });
	});

	it('doubles the wait with each failure past the free ones, up to the cap', async () => {
		const backoff = make();
		const key = 'x@example.com|198.51.100.3';
		const waits: number[] = [];
		let clock = Date.now();
		const spy = vi.spyOn(Date, 'now').mockImplementation(() => clock);
		try {
			for (let i = 0; i < 6; i++) {
				let result = await backoff.attempt(key);
				if (!result.allowed) {
					waits.push(result.retryAfterSeconds);
					clock += result.retryAfterSeconds * 1000;
					result = await backoff.attempt(key);
				}
				expect(result.allowed).toBe(true);
			}
		} finally {
			spy.mockRestore();
		}
		expect(waits).toEqual([1, 2, 4, 4]);
	});

	it('lets only as many attempts through as are free when they all arrive at once', async () => {
		const backoff = make();
		const results = await Promise.all(Array.from({ length: 10 }, () => backoff.attempt('burst@example.com|198.51.100.4')));
		expect(results.filter(r => r.allowed)).toHaveLength(2);
	});
});

import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalConnectLimiter, RedisConnectLimiter, type ConnectLimiter } from '../../../services/devices/connect-limiter.ts';
import { serverReachable } from '../../helpers/processes.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = (await serverReachable(REDIS_URL)) ? new Redis(REDIS_URL) : undefined;
afterAll(async () => {
	await redis?.quit();
});

/** Two limiters sharing one budget, as two nodes would. */
const variants: [string, (limit: number, permitTtlMs?: number) => [ConnectLimiter, ConnectLimiter]][] = [];
const local = (limit: number) => {
	const shared = new LocalConnectLimiter(limit);
	return [shared, shared] as [ConnectLimiter, ConnectLimiter];
};
variants.push(['in one process', local]);
if (redis || process.env.CI) {
	variants.push([
		'across nodes in Redis',
		(limit, ttl) => {
			const key = `fc-test:connects:${randomBytes(4).toString('hex')}`;
			return [new RedisConnectLimiter(redis!, key, limit, ttl), new RedisConnectLimiter(redis!, key, limit, ttl)];
		},
	]);
}

describe.each(variants)('the connect limit %s', (_name, make) => {
	it('admits up to the limit; the next waits until a permit is released', async () => {
		const [nodeA, nodeB] = make(2);
		await nodeA.acquire('d1');
		await nodeB.acquire('d2');
		let third = false;
		const waiting = nodeB.acquire('d3').then(() => (third = true));
		await new Promise(resolve => setTimeout(resolve, 300));
		expect(third).toBe(false);
		await nodeA.release('d1');
		await waiting;
		expect(third).toBe(true);
		expect(Math.max(nodeA.peak, nodeB.peak)).toBeGreaterThanOrEqual(1);
		await nodeB.release('d2');
		await nodeB.release('d3');
	});

	it('a waiting acquire can be abandoned', async () => {
		const [limiter] = make(1);
		await limiter.acquire('busy');
		const abort = new AbortController();
		const waiting = limiter.acquire('waiting', abort.signal);
		abort.abort(new Error('stopped'));
		await expect(waiting).rejects.toThrow('stopped');
		await limiter.release('busy');
		await limiter.acquire('next');
		await limiter.release('next');
	});
});

describe.runIf(redis || process.env.CI)('a permit whose holder died', () => {
	it('expires, so a crashed node cannot block the fleet', async () => {
		const key = `fc-test:connects:${randomBytes(4).toString('hex')}`;
		const crashed = new RedisConnectLimiter(redis!, key, 1, 300);
		await crashed.acquire('held-forever');
		const survivor = new RedisConnectLimiter(redis!, key, 1, 300);
		const started = Date.now();
		await survivor.acquire('mine');
		expect(Date.now() - started).toBeGreaterThanOrEqual(250);
		await survivor.release('mine');
	});
});

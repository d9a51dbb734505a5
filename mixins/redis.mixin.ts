import { Redis } from 'ioredis';
import type { ServiceSchema } from 'moleculer';
import { readEnv } from './env-settings.mixin.ts';

const clients = new Map<string, { client: Redis; users: number }>();

/**
 * The process's shared ioredis client for a URL, counted by its users so the last `releaseRedis`
 * closes it. Services ask for one only when REDIS_URL is set; otherwise they use in-process state.
 */
export function acquireRedis(url: string): Redis {
	let entry = clients.get(url);
	if (!entry) {
		entry = { client: new Redis(url, { maxRetriesPerRequest: 2, lazyConnect: false }), users: 0 };
		clients.set(url, entry);
	}
	entry.users += 1;
	return entry.client;
}

export async function releaseRedis(url: string): Promise<void> {
	const entry = clients.get(url);
	if (!entry) return;
	entry.users -= 1;
	if (entry.users > 0) return;
	clients.delete(url);
	await entry.client.quit().catch(() => entry.client.disconnect());
}

/** What the mixin gives a service: the shared client, or none when REDIS_URL is not set. */
export interface RedisLocals {
	redis?: Redis;
	redisUrl?: string;
}

/**
 * Gives the service `this.redis`, the process's shared client for REDIS_URL (fleet-wide limits and
 * counters), from its creation until it stops; undefined in embedded mode, where state stays in process.
 */
export function RedisMixin(): Partial<ServiceSchema> {
	return {
		created(this: RedisLocals) {
			this.redisUrl = readEnv().redisUrl;
			this.redis = this.redisUrl ? acquireRedis(this.redisUrl) : undefined;
		},
		async stopped(this: RedisLocals) {
			if (this.redisUrl) await releaseRedis(this.redisUrl);
			this.redis = undefined;
		},
	} as unknown as Partial<ServiceSchema>;
}

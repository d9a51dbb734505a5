import { Redis } from 'ioredis';

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

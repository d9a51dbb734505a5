import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, LiveSocket } from '../helpers/http.ts';
import { clusterServersReachable, startCluster, type TestCluster } from '../helpers/processes.ts';

const available = await clusterServersReachable();

describe.runIf(available)('two node processes on the local nats-server, sharing PostgreSQL and Redis', () => {
	let cluster: TestCluster;

	beforeAll(async () => {
		// Both start at once and race to migrate: the advisory lock lets one do it.
		cluster = await startCluster({ edge: ['gateway'], accounts: ['users'] });
		// The gateway learns of users.* routes once the other node is discovered.
		const deadline = Date.now() + 30_000;
		while ((await fetch(`${cluster.url}/api/me`)).status !== 401) {
			if (Date.now() > deadline) throw new Error(`users never reachable:\n${cluster.logs()}`);
			await new Promise(r => setTimeout(r, 200));
		}
	});

	afterAll(() => cluster?.stop());

	it('serves an action from the other node and carries its event back to this node’s socket', async () => {
		const browser = new Client(cluster.url);
		const user = await browser.register();
		expect((await browser.get('/api/me')).body.id).toBe(user.id);
		const socket = await LiveSocket.open(cluster.url, { cookie: browser.cookie! });
		await browser.patch('/api/me/settings', { timeZone: 'Africa/Nairobi' });
		expect((await socket.next(f => f.type === 'user.settings-changed')).payload.timeZone).toBe('Africa/Nairobi');
		socket.close();
		// users.me is cached in Redis; the change cleared it.
		expect((await browser.get('/api/me')).body.timeZone).toBe('Africa/Nairobi');
	});

	it('stops gracefully on SIGTERM', async () => {
		const code = await cluster.nodes.accounts.stop('SIGTERM');
		expect(code).toBe(0);
		// With the users node gone its routes disappear: a clear 404/503, not a hang.
		const status = (await fetch(`${cluster.url}/api/me`)).status;
		expect([404, 503]).toContain(status);
	});
});

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresDatabase, postgresReachable, type TestDatabase } from '../helpers/databases.ts';
import { Client, LiveSocket } from '../helpers/http.ts';
import { freePort, serverReachable, spawnNode, waitForReady, type NodeProcess } from '../helpers/processes.ts';

const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const available = (await postgresReachable()) && (await serverReachable(NATS_URL)) && (await serverReachable(REDIS_URL));
if (!available && process.env.CI) throw new Error('The cluster test needs PostgreSQL, NATS and Redis; .ci/run should have started them.');

describe.runIf(available)('two node processes on the local nats-server, sharing PostgreSQL and Redis', () => {
	let db: TestDatabase;
	let edge: NodeProcess;
	let accounts: NodeProcess;
	let url: string;

	beforeAll(async () => {
		db = await postgresDatabase();
		const port = await freePort();
		url = `http://127.0.0.1:${port}`;
		// A namespace of its own, so parallel runs on the same NATS never see each other.
		const shared = { TRANSPORTER: NATS_URL, DATABASE_URL: db.databaseUrl!, REDIS_URL, NAMESPACE: `fc-test-${randomBytes(4).toString('hex')}` };
		// Both start at once and race to migrate: the advisory lock lets one do it.
		edge = spawnNode(['services/gateway/gateway.service.ts'], { ...shared, NODE_ID: 'edge', PORT: String(port), HOST: '127.0.0.1' });
		accounts = spawnNode(['services/users/users.service.ts'], { ...shared, NODE_ID: 'accounts' });
		await waitForReady(`${url}/readyz`, edge);
		// The gateway learns of users.* routes once the other node is discovered.
		const deadline = Date.now() + 30_000;
		while ((await fetch(`${url}/api/me`)).status !== 401) {
			if (Date.now() > deadline) throw new Error(`users never reachable:\n${edge.output()}\n${accounts.output()}`);
			await new Promise(r => setTimeout(r, 200));
		}
	});

	afterAll(async () => {
		await Promise.all([edge?.stop(), accounts?.stop()]);
		await db?.drop();
	});

	it('serves an action from the other node and carries its event back to this node’s socket', async () => {
		const browser = new Client(url);
		const user = await browser.register();
		expect((await browser.get('/api/me')).body.id).toBe(user.id);
		const socket = await LiveSocket.open(url, { cookie: browser.cookie! });
		await browser.patch('/api/me/settings', { timeZone: 'Africa/Nairobi' });
		expect((await socket.next(f => f.type === 'user.settings-changed')).payload.timeZone).toBe('Africa/Nairobi');
		socket.close();
		// users.me is cached in Redis; the change cleared it.
		expect((await browser.get('/api/me')).body.timeZone).toBe('Africa/Nairobi');
	});

	it('stops gracefully on SIGTERM', async () => {
		const code = await accounts.stop('SIGTERM');
		expect(code).toBe(0);
		// With the users node gone its routes disappear: a clear 404/503, not a hang.
		const status = (await fetch(`${url}/api/me`)).status;
		expect([404, 503]).toContain(status);
	});
});

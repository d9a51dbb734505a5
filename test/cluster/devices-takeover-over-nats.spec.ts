import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresDatabase, postgresReachable, type TestDatabase } from '../helpers/databases.ts';
import { linkDevice, waitForDevice } from '../helpers/devices.ts';
import { Client } from '../helpers/http.ts';
import { freePort, serverReachable, spawnNode, waitForReady, type NodeProcess } from '../helpers/processes.ts';
import { WhatsAppDouble } from '../whatsapp-double/index.ts';

const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const available = (await postgresReachable()) && (await serverReachable(NATS_URL)) && (await serverReachable(REDIS_URL));
if (!available && process.env.CI) throw new Error('The cluster test needs PostgreSQL, NATS and Redis; .ci/run should have started them.');

const LEASE_TTL_SECONDS = 5;
const DEVICES = 6;

describe.runIf(available)('three node processes on nats-server: a killed node’s devices come back online on the others', () => {
	const double = new WhatsAppDouble();
	let db: TestDatabase;
	let url: string;
	const nodes: Record<string, NodeProcess> = {};

	beforeAll(async () => {
		await double.start();
		db = await postgresDatabase();
		const port = await freePort();
		url = `http://127.0.0.1:${port}`;
		const shared = {
			TRANSPORTER: NATS_URL,
			DATABASE_URL: db.databaseUrl!,
			REDIS_URL,
			NAMESPACE: `fc-test-${randomBytes(4).toString('hex')}`,
			WHATSAPP_DOUBLE_URL: double.endpoint.url,
			DEVICE_LEASE_TTL_SECONDS: String(LEASE_TTL_SECONDS),
			DEVICE_START_JITTER_MS: '0',
		};
		const devices = 'services/devices/devices.service.ts';
		nodes.edge = spawnNode(['services/gateway/gateway.service.ts', 'services/users/users.service.ts', devices], { ...shared, NODE_ID: 'edge', PORT: String(port), HOST: '127.0.0.1' });
		nodes.worker1 = spawnNode([devices], { ...shared, NODE_ID: 'worker1' });
		nodes.worker2 = spawnNode([devices], { ...shared, NODE_ID: 'worker2' });
		await waitForReady(`${url}/readyz`, nodes.edge);
	}, 90_000);

	afterAll(async () => {
		await Promise.all(Object.values(nodes).map(node => node.stop()));
		await db?.drop();
		await double.stop();
	});

	it('spreads linked devices over the nodes; after SIGKILL the survivors take them within lease TTL + 10 s', async () => {
		const user = new Client(url);
		await user.register();
		const deadline = Date.now() + 60_000;
		const ids: string[] = [];
		const jids = new Map<string, string>();
		for (let i = 0; i < DEVICES; i++) {
			const { id, jid } = await linkDevice(user, double, `Device ${i + 1}`);
			ids.push(id);
			jids.set(id, jid);
		}
		let holders = new Map<string, string>();
		while (Date.now() < deadline) {
			holders = new Map(await Promise.all(ids.map(async id => [id, (await user.get(`/api/devices/${id}`)).body.node] as [string, string])));
			// Six devices over three nodes by rendezvous: each node usually, not always, gets some.
			if (new Set(holders.values()).size >= 2 && [...holders.values()].every(Boolean)) break;
			await new Promise(resolve => setTimeout(resolve, 200));
		}
		const victim = [...holders.values()].find(n => n !== 'edge')!;
		expect(victim, `devices never spread over the nodes: ${JSON.stringify([...holders])}`).toBeDefined();
		const orphans = ids.filter(id => holders.get(id) === victim);
		expect(orphans.length).toBeGreaterThan(0);

		const killedAt = Date.now();
		await nodes[victim].stop('SIGKILL');
		for (const id of orphans) {
			const device = await waitForDevice(
				user,
				id,
				d => d.status === 'online' && double.onlineDevices().includes(jids.get(id)!),
				(LEASE_TTL_SECONDS + 10) * 1000,
			).catch(err => {
				const logs = Object.entries(nodes).map(([name, node]) => `--- ${name}\n${node.output().slice(-4000)}`);
				throw new Error(`${err.message}\n${logs.join('\n')}`);
			});
			expect(device.status).toBe('online');
			expect((await user.get(`/api/devices/${id}`)).body.node).not.toBe(victim);
		}
		expect(Date.now() - killedAt).toBeLessThan((LEASE_TTL_SECONDS + 10) * 1000);
		for (const id of ids) expect(double.onlineDevices()).toContain(jids.get(id));
		double.assertNoConflicts();
	}, 120_000);
});

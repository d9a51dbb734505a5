import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkDevice, waitForDevice } from '../helpers/devices.ts';
import { Client } from '../helpers/http.ts';
import { clusterServersReachable, startCluster, type TestCluster } from '../helpers/processes.ts';
import { WhatsAppDouble } from '../../services/whatsapp-double/index.ts';

const available = await clusterServersReachable();

const LEASE_TTL_SECONDS = 5;
const DEVICES = 6;

describe.runIf(available)('three node processes on nats-server: a killed node’s devices come back online on the others', () => {
	const double = new WhatsAppDouble();
	let cluster: TestCluster;

	beforeAll(async () => {
		await double.start();
		const env = { WHATSAPP_DOUBLE_URL: double.endpoint.url, DEVICE_LEASE_TTL_SECONDS: String(LEASE_TTL_SECONDS), DEVICE_START_JITTER_MS: '0' };
		cluster = await startCluster({ edge: ['gateway', 'users', 'devices'], worker1: ['devices'], worker2: ['devices'] }, env);
	}, 90_000);

	afterAll(async () => {
		await cluster?.stop();
		await double.stop();
	});

	it('spreads linked devices over the nodes; after SIGKILL the survivors take them within lease TTL + 10 s', async () => {
		const user = new Client(cluster.url);
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
		await cluster.nodes[victim].stop('SIGKILL');
		for (const id of orphans) {
			const device = await waitForDevice(
				user,
				id,
				d => d.status === 'online' && double.onlineDevices().includes(jids.get(id)!),
				(LEASE_TTL_SECONDS + 10) * 1000,
			).catch(err => {
				throw new Error(`${err.message}\n${cluster.logs()}`);
			});
			expect(device.status).toBe('online');
			expect((await user.get(`/api/devices/${id}`)).body.node).not.toBe(victim);
		}
		expect(Date.now() - killedAt).toBeLessThan((LEASE_TTL_SECONDS + 10) * 1000);
		for (const id of ids) expect(double.onlineDevices()).toContain(jids.get(id));
		double.assertNoConflicts();
	}, 120_000);
});

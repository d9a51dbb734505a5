import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceBroker } from 'moleculer';
import { preferredNode } from '../../../services/devices/leases.ts';
import { postgresDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { linkDevice, startDeviceNode, waitForDevice, withStatus } from '../../helpers/devices.ts';
import { Client } from '../../helpers/http.ts';
import type { TestNode } from '../../helpers/node.ts';
import { WhatsAppDouble } from '../../../services/whatsapp-double/index.ts';

const DEVICES = 12;
const LEASE_TTL_MS = 3_000;
const WAVE = 2;

/** Which node runs each device's actor, asked of every node. */
async function placement(broker: ServiceBroker, nodeIds: string[]): Promise<Map<string, string[]>> {
	const holders = new Map<string, string[]>();
	for (const nodeID of nodeIds) {
		const { devices } = (await broker.call('devices.held', {}, { nodeID })) as { devices: string[] };
		for (const id of devices) holders.set(id, [...(holders.get(id) ?? []), nodeID]);
	}
	return holders;
}

describe('placement with three brokers on one database: one holder per device, waves on join, takeover on leave', () => {
	const double = new WhatsAppDouble();
	let db: TestDatabase;
	const nodes: Record<string, TestNode> = {};
	const released: { nodeId: string; deviceIds: string[] }[] = [];
	const start = (nodeID: string) =>
		startDeviceNode(db, double.endpoint, { nodeID, transporter: 'Fake', devices: { leaseTtlMs: LEASE_TTL_MS, handoverWave: WAVE } });

	beforeAll(async () => {
		await double.start();
		db = await postgresDatabase();
		nodes.a = await start('node-a');
		nodes.b = await start('node-b');
		nodes.a.broker.createService({ name: 'observer', events: { 'device.released'(ctx) { released.push(ctx.params as never); } } });
	});
	afterAll(async () => {
		for (const node of Object.values(nodes)) await node.stop();
		await db?.drop();
		await double.stop();
	});

	/** Waits until every device runs on exactly its rendezvous choice among `live`, and is online at the double. */
	async function settledOn(live: string[], jids: Map<string, string>, timeoutMs: number): Promise<Map<string, string[]>> {
		const deadline = Date.now() + timeoutMs;
		let last = new Map<string, string[]>();
		while (Date.now() < deadline) {
			// A node that just joined is unknown to node-a for a moment: ask again.
			last = await placement(nodes.a.broker, live).catch(() => new Map());
			const online = new Set(double.onlineDevices());
			const settled = [...jids].every(([id, jid]) => {
				const holders = last.get(id) ?? [];
				return holders.length === 1 && holders[0] === preferredNode(id, live) && online.has(jid);
			});
			if (settled) return last;
			await new Promise(resolve => setTimeout(resolve, 100));
		}
		throw new Error(`not settled on ${live.join(', ')}: ${JSON.stringify([...last])}`);
	}

	it('spreads devices, hands a third to a joining node in waves, and takes over a stopped node’s devices at once', async () => {
		const user = new Client(nodes.a.url);
		await user.register();
		const jids = new Map<string, string>();
		for (let i = 0; i < DEVICES; i++) {
			const { id, jid } = await linkDevice(user, double, `Device ${i + 1}`);
			jids.set(id, jid);
		}
		const onTwo = await settledOn(['node-a', 'node-b'], jids, 20_000);
		expect(new Set([...onTwo.values()].flat())).toEqual(new Set(['node-a', 'node-b']));

		released.length = 0; // from here on, only what the join moves
		nodes.c = await start('node-c');
		const onThree = await settledOn(['node-a', 'node-b', 'node-c'], jids, 30_000);
		const movedToC = [...onThree].filter(([, holders]) => holders[0] === 'node-c').map(([id]) => id);
		expect(movedToC.length).toBeGreaterThan(0);
		expect(movedToC.length).toBeLessThan(DEVICES);
		// Only what node-c prefers moved, and never more than a wave at a time.
		const handedOver = released.flatMap(r => r.deviceIds);
		expect(new Set(handedOver)).toEqual(new Set(movedToC));
		for (const batch of released) expect(batch.deviceIds.length).toBeLessThanOrEqual(WAVE);
		if (movedToC.length > WAVE) expect(released.length).toBeGreaterThan(1);

		const leaving = [...onThree].filter(([, holders]) => holders[0] === 'node-b').map(([id]) => id);
		const stoppedAt = Date.now();
		await nodes.b.stop();
		delete nodes.b;
		await settledOn(['node-a', 'node-c'], jids, LEASE_TTL_MS + 10_000);
		// Released on a graceful stop, so well within the TTL + 10 s a crash may take.
		expect(Date.now() - stoppedAt).toBeLessThan(LEASE_TTL_MS + 10_000);
		for (const id of leaving) await waitForDevice(user, id, withStatus('online'), 5_000);
		double.assertNoConflicts();
	}, 120_000);
});

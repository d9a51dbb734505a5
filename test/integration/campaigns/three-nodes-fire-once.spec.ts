import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WhatsAppDouble, type Contact } from '../../../services/whatsapp-double/index.ts';
import { CAMPAIGN_NODE_SERVICES, NO_PACING, reached, waitForReport } from '../../helpers/campaigns.ts';
import { postgresDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { linkDevice, testDeviceSettings } from '../../helpers/devices.ts';
import { Client } from '../../helpers/http.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

const NODES = ['node-a', 'node-b', 'node-c'];

describe('three nodes on one database: a campaign fires once, and a node leaving mid-campaign sends nothing twice', () => {
	const double = new WhatsAppDouble();
	let db: TestDatabase;
	const nodes: Record<string, TestNode> = {};
	let client: Client;
	const shops: { id: string; phone: string }[] = [];
	const contacts: Contact[] = [];

	beforeAll(async () => {
		await double.start();
		db = await postgresDatabase();
		for (const nodeID of NODES) {
			nodes[nodeID] = await startNode({
				db,
				nodeID,
				transporter: 'Fake',
				services: CAMPAIGN_NODE_SERVICES,
				// The loop ticks rarely: the test makes the nodes race by calling campaigns.tick on all three at once.
				settings: { devices: testDeviceSettings(double.endpoint, { dispatchPollMs: 200, leaseTtlMs: 3_000 }), campaigns: { tickMs: 60_000 }, messages: { progressIntervalMs: 100 } },
			});
		}
		client = new Client(nodes['node-a'].url);
		await client.register();
		for (let i = 0; i < 3; i++) {
			const linked = await linkDevice(client, double, `Shop ${i}`);
			shops.push({ id: linked.id, phone: linked.phone.phone });
		}
		for (let i = 0; i < 12; i++) contacts.push(double.addContact({ name: `Lead ${String.fromCharCode(65 + i)}`, phone: `601234530${String(i).padStart(2, '0')}` }));
	});
	afterAll(async () => {
		for (const node of Object.values(nodes)) await node.stop();
		await db?.drop();
		await double.stop();
	});

	async function importLeads(niche: string, from: number, to: number): Promise<void> {
		const rows = contacts.slice(from, to).map((c, i) => `${shops[i % 3].id},${c.name},+${c.phone},${niche}`);
		const { body } = await client.request('POST', '/api/leads/import', ['device,name,phone,niche', ...rows].join('\n'), { 'content-type': 'text/csv' });
		expect(body.created, JSON.stringify(body)).toBe(to - from);
	}

	it('three nodes claiming the same due campaign at once create one set of messages', async () => {
		for (const shop of shops) await client.patch(`/api/devices/${shop.id}`, { pacing: NO_PACING });
		await importLeads('race', 0, 6);
		const { body } = await client.post('/api/campaigns', { title: 'Race', niche: 'race', scheduledAt: new Date().toISOString(), message: 'Once for {name}', minDelaySeconds: 0, maxDelaySeconds: 0 });
		await Promise.all(NODES.flatMap(nodeID => [1, 2].map(() => nodes[nodeID].broker.call('campaigns.tick', {}, { nodeID }))));
		const report = await waitForReport(client, body.id, r => r.status === 'completed', 20_000);
		expect(report.totals.shouldSend).toBe(6);
		expect(reached(report.totals)).toBe(6);
		for (const contact of contacts.slice(0, 6)) expect(contact.received().map(m => m.text)).toEqual([`Once for ${contact.name}`]);
	});

	it('a node stopping mid-campaign hands its numbers over; every message ends final and none is sent twice', async () => {
		for (const shop of shops) await client.patch(`/api/devices/${shop.id}`, { pacing: { ...NO_PACING, minDelaySeconds: 1, maxDelaySeconds: 1 } });
		await importLeads('handover', 6, 12);
		const { body } = await client.post('/api/campaigns', { title: 'Handover', niche: 'handover', scheduledAt: new Date().toISOString(), message: 'Hello {name}', minDelaySeconds: 0, maxDelaySeconds: 0 });
		await nodes['node-b'].broker.call('campaigns.tick', {}, { nodeID: 'node-b' });
		await waitForReport(client, body.id, r => reached(r.totals) >= 1, 20_000);
		// Stop whichever of b and c holds a device (a serves the API and stays).
		const holders = await Promise.all(['node-b', 'node-c'].map(async nodeID => ({ nodeID, held: ((await nodes['node-a'].broker.call('devices.held', {}, { nodeID })) as { devices: string[] }).devices })));
		const leaving = holders.find(h => h.held.length > 0)!;
		expect(leaving).toBeDefined();
		await nodes[leaving.nodeID].stop();
		delete nodes[leaving.nodeID];
		const report = await waitForReport(client, body.id, r => r.status !== 'running', 30_000);
		expect(report.totals.pending + report.totals.sending).toBe(0);
		expect(report.totals.shouldSend).toBe(6);
		for (const contact of contacts.slice(6, 12)) expect(contact.received().length, contact.name).toBeLessThanOrEqual(1);
		// Nothing was lost either: what did not arrive is failed with its reason, none silently dropped.
		const arrived = contacts.slice(6, 12).filter(c => c.received().length === 1).length;
		expect(reached(report.totals)).toBe(arrived);
		expect(report.totals.failed).toBe(6 - arrived);
		double.assertNoConflicts();
	});
});

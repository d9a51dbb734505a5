import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AiCampaignReport } from '../../../services/ai-campaigns/ai-campaigns.params.ts';
import { WhatsAppDouble, type Contact } from '../../../services/whatsapp-double/index.ts';
import { CAMPAIGN_NODE_SERVICES, NO_PACING } from '../../helpers/campaigns.ts';
import { postgresDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { linkDevice, testDeviceSettings, untilPlacementSettled } from '../../helpers/devices.ts';
import { Client } from '../../helpers/http.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

describe('two nodes running the same AI campaign at once make one set of assignments', () => {
	const double = new WhatsAppDouble();
	let db: TestDatabase;
	const nodes: TestNode[] = [];
	let client: Client;
	const contacts: Contact[] = [];

	beforeAll(async () => {
		await double.start();
		db = await postgresDatabase();
		for (const nodeID of ['node-a', 'node-b']) {
			nodes.push(
				await startNode({
					db,
					nodeID,
					transporter: 'Fake',
					services: CAMPAIGN_NODE_SERVICES,
					settings: { devices: testDeviceSettings(double.endpoint, { dispatchPollMs: 200, leaseTtlMs: 3_000 }), messages: { progressIntervalMs: 100 } },
				}),
			);
		}
		client = new Client(nodes[0]!.url);
		await client.register();
		const shops: string[] = [];
		for (let i = 0; i < 3; i++) {
			const { id } = await linkDevice(client, double, `Shop ${i}`);
			expect((await client.patch(`/api/devices/${id}`, { pacing: NO_PACING })).status).toBe(200);
			shops.push(id);
		}
		// Placement has settled once each number is online on its preferred node: nothing moves while the leads go out.
		await untilPlacementSettled(client, shops, ['node-a', 'node-b']);
		for (let i = 0; i < 10; i++) contacts.push(double.addContact({ name: `Pool ${String.fromCharCode(65 + i)}`, phone: `601234700${String(i).padStart(2, '0')}` }));
	});
	afterAll(async () => {
		for (const node of nodes) await node.stop();
		await db?.drop();
		await double.stop();
	});

	it('every lead is sent once, by one number, though both nodes fire and assign', async () => {
		const rows = ['name,phone,niche', ...contacts.map(c => `${c.name},+${c.phone},race`)];
		expect((await client.request('POST', '/api/ai-leads/import', rows.join('\n'), { 'content-type': 'text/csv' })).body.created).toBe(10);
		const { body: campaign } = await client.post('/api/ai-campaigns', { title: 'Race', scheduledAt: new Date().toISOString(), niche: 'race', message: 'Hi {name}', deviceLimit: 10, minDelaySeconds: 0, maxDelaySeconds: 0 });
		const report = async () => (await client.get<AiCampaignReport>(`/api/ai-campaigns/${campaign.id}/report`)).body;
		await expect.poll(async () => (await report()).status, { timeout: 30_000 }).toBe('completed');
		const r = await report();
		expect(r.totals).toMatchObject({ leads: 10, sent: 10, failed: 0, pending: 0 });
		expect(r.devices.reduce((n, d) => n + d.sent, 0)).toBe(10);
		await new Promise(resolve => setTimeout(resolve, 1_500));
		for (const c of contacts) expect(c.received().map(m => m.text), c.name).toEqual([`Hi ${c.name}`]);
	});
});

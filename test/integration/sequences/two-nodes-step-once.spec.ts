import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WhatsAppDouble, type Contact } from '../../../services/whatsapp-double/index.ts';
import { CAMPAIGN_NODE_SERVICES, NO_PACING } from '../../helpers/campaigns.ts';
import { postgresDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { linkDevice, testDeviceSettings, untilPlacementSettled } from '../../helpers/devices.ts';
import { Client } from '../../helpers/http.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

const NODES = ['node-a', 'node-b'];

describe('two nodes ticking the same sequences at once create each step once', () => {
	const double = new WhatsAppDouble();
	let db: TestDatabase;
	const nodes: TestNode[] = [];
	let client: Client;
	const shops: string[] = [];
	const contacts: Contact[] = [];

	beforeAll(async () => {
		await double.start();
		db = await postgresDatabase();
		for (const nodeID of NODES) {
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
		for (let i = 0; i < 2; i++) {
			const linked = await linkDevice(client, double, `Shop ${i}`);
			shops.push(linked.id);
			expect((await client.patch(`/api/devices/${linked.id}`, { pacing: NO_PACING })).status).toBe(200);
		}
		// Placement has settled once each number is online on its preferred node: nothing moves while the steps go out.
		await untilPlacementSettled(client, shops, NODES);
		for (let i = 0; i < 8; i++) contacts.push(double.addContact({ name: `Lead ${String.fromCharCode(65 + i)}`, phone: `601234560${String(i).padStart(2, '0')}` }));
	});
	afterAll(async () => {
		for (const node of nodes) await node.stop();
		await db?.drop();
		await double.stop();
	});

	it('every lead gets every step exactly once, in order, though both nodes enrol and claim', async () => {
		const { status } = await client.post('/api/sequences', {
			name: 'Race',
			trigger: 'race',
			minDelaySeconds: 0,
			maxDelaySeconds: 0,
			steps: [{ text: 'One for {name}' }, { text: 'Two', delaySeconds: 1 }, { text: 'Three', delaySeconds: 1 }],
		});
		expect(status).toBe(201);
		const rows = contacts.map((c, i) => `${shops[i % 2]},${c.name},+${c.phone},race`);
		const { body } = await client.request('POST', '/api/leads/import', ['device,name,phone,triggers', ...rows].join('\n'), { 'content-type': 'text/csv' });
		expect(body.created, JSON.stringify(body)).toBe(8);
		for (const contact of contacts) {
			await expect.poll(() => contact.received().map(m => m.text), { timeout: 30_000 }).toEqual([`One for ${contact.name}`, 'Two', 'Three']);
		}
		// Nothing more comes after a while: no step was created twice.
		await new Promise(resolve => setTimeout(resolve, 2_000));
		for (const contact of contacts) expect(contact.received()).toHaveLength(3);
	}, 90_000);
});

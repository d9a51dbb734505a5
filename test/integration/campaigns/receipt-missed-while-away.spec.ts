import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WhatsAppDouble, type Contact } from '../../../services/whatsapp-double/index.ts';
import { CAMPAIGN_NODE_SERVICES, FAST_CAMPAIGN_SETTINGS, NO_PACING, waitForReport } from '../../helpers/campaigns.ts';
import { pgliteDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { linkDevice, testDeviceSettings, waitForDevice } from '../../helpers/devices.ts';
import { Client } from '../../helpers/http.ts';
import { importCsv } from '../../helpers/leads.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

describe('a receipt the number missed while its connection was lost settles the message when it is back', () => {
	const double = new WhatsAppDouble();
	let db: TestDatabase;
	let node: TestNode;
	let client: Client;
	let contact: Contact;

	beforeAll(async () => {
		await double.start();
		db = pgliteDatabase();
		node = await startNode({ db, services: CAMPAIGN_NODE_SERVICES, settings: { devices: testDeviceSettings(double.endpoint, { dispatchPollMs: 200 }), ...FAST_CAMPAIGN_SETTINGS } });
		client = new Client(node.url);
		await client.register();
	});
	afterAll(async () => {
		await node?.stop();
		await db?.drop();
		await double.stop();
	});

	it('counts the message read once the number reconnects, though the read happened while it was away', async () => {
		const device = await linkDevice(client, double, 'Shop');
		await client.patch(`/api/devices/${device.id}`, { pacing: NO_PACING });
		contact = double.addContact({ name: 'Farah', phone: '60123460099' });
		await importCsv(client, `device,name,phone,niche\nShop,Farah,+${contact.phone},away`);
		const { body: campaign } = await client.post('/api/campaigns', { title: 'Away', niche: 'away', scheduledAt: new Date().toISOString(), message: 'Hi {name}', minDelaySeconds: 0, maxDelaySeconds: 0 });
		await waitForReport(client, campaign.id, r => r.totals.delivered === 1);

		// The number's socket goes quiet as the contact reads, then drops; the read receipt was never acked.
		double.faults.silence(device.phone);
		contact.markRead();
		double.faults.dropConnection(device.phone);
		double.faults.unsilence(device.phone);
		await waitForDevice(client, device.id, d => d.status === 'online');
		const report = await waitForReport(client, campaign.id, r => r.totals.read === 1, 20_000);
		expect(report).toMatchObject({ status: 'completed', totals: { delivered: 0, read: 1, failed: 0 } });
	});
});

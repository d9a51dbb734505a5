import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WhatsAppDouble, type LoggedEvent } from '../../../services/whatsapp-double/index.ts';
import { CAMPAIGN_NODE_SERVICES, FAST_CAMPAIGN_SETTINGS, NO_PACING, waitForReport } from '../../helpers/campaigns.ts';
import { postgresDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { linkDevice, testDeviceSettings } from '../../helpers/devices.ts';
import { Client } from '../../helpers/http.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

/** Seconds new chats wait after the first 463 (an hour by default). */
const PAUSE_S = 2;

describe('a 463 holds the number\'s new chats while chats its contacts started go on; nothing fails', () => {
	const double = new WhatsAppDouble();
	let db: TestDatabase;
	let node: TestNode;
	let client: Client;

	beforeAll(async () => {
		await double.start();
		db = await postgresDatabase();
		node = await startNode({ db, services: CAMPAIGN_NODE_SERVICES, settings: { devices: testDeviceSettings(double.endpoint, { dispatchPollMs: 200, newChatPauseSeconds: PAUSE_S }), ...FAST_CAMPAIGN_SETTINGS } });
		client = new Client(node.url);
		await client.register();
	});
	afterAll(async () => {
		await node?.stop();
		await db?.drop();
		await double.stop();
	});

	it('the new chat waits, is tried after the pause (which doubles on a repeat 463), and goes out once when WhatsApp lets it', async () => {
		const { id, phone } = await linkDevice(client, double, 'Careful');
		expect((await client.patch(`/api/devices/${id}`, { pacing: NO_PACING })).status).toBe(200);
		const aisha = double.addContact({ name: 'Aisha', phone: '60123456701' });
		const ben = double.addContact({ name: 'Ben', phone: '60123456702' });
		// Aisha wrote to the number before: hers is an existing chat.
		await aisha.sendText(phone.phone, 'Hello there');
		await expect.poll(async () => (await client.get(`/api/devices/${id}/chats`)).body.items?.length ?? 0, { timeout: 15_000 }).toBe(1);

		double.faults.rejectSends(phone.phone, 463);
		const rows = ['device,name,phone,niche', `${id},Aisha,+${aisha.phone},held`, `${id},Ben,+${ben.phone},held`];
		expect((await client.request('POST', '/api/leads/import', rows.join('\n'), { 'content-type': 'text/csv' })).body.created).toBe(2);
		const since = double.events.lastSeq;
		const { body: campaign } = await client.post('/api/campaigns', { title: 'Held', niche: 'held', scheduledAt: new Date().toISOString(), message: 'Hi {name}', minDelaySeconds: 0, maxDelaySeconds: 0 });

		// Aisha's chat flows; Ben's new chat is refused once, then waits: nothing fails.
		await expect.poll(() => aisha.received().map(m => m.text), { timeout: 15_000 }).toEqual(['Hi Aisha']);
		const refusedToBen = () => double.events.list().filter((e: LoggedEvent) => e.seq > since && e.type === 'message.sent' && e.to.startsWith(ben.phone) && e.error === 463);
		await expect.poll(() => refusedToBen().length, { timeout: 10_000 }).toBe(1);
		await expect
			.poll(async () => (await client.get(`/api/campaigns/${campaign.id}/recipients?status=pending`)).body.items, { timeout: 5_000 })
			.toMatchObject([{ phone: `+${ben.phone}`, error: expect.stringContaining('463') }]);
		expect((await client.get(`/api/campaigns/${campaign.id}/report`)).body.totals.failed).toBe(0);

		// Tried again after the pause, refused again: the next pause is twice as long.
		await expect.poll(() => refusedToBen().length, { timeout: 15_000 }).toBe(2);
		const [first, second] = refusedToBen();
		expect(second!.at - first!.at).toBeGreaterThanOrEqual(PAUSE_S * 1000);
		double.faults.allowSends(phone.phone);
		await expect.poll(() => ben.received().map(m => m.text), { timeout: 20_000 }).toEqual(['Hi Ben']);
		expect(Date.now() - second!.at).toBeGreaterThanOrEqual(2 * PAUSE_S * 1000 - 200);
		const report = await waitForReport(client, campaign.id, r => r.status !== 'running', 20_000);
		expect(report.totals).toMatchObject({ failed: 0, pending: 0 });
		expect(refusedToBen()).toHaveLength(2);
		expect(aisha.received()).toHaveLength(1);
	}, 90_000);
});

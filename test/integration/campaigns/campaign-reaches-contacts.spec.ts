import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WhatsAppDouble, type Contact } from '../../../services/whatsapp-double/index.ts';
import { CAMPAIGN_NODE_SERVICES, FAST_CAMPAIGN_SETTINGS, NO_PACING, reached, testImage, waitForReport } from '../../helpers/campaigns.ts';
import { postgresDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { linkDevice, testDeviceSettings } from '../../helpers/devices.ts';
import { Client, LiveSocket } from '../../helpers/http.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

describe('a campaign reaches each matching lead once, personalised, from the lead’s own number', () => {
	const double = new WhatsAppDouble();
	let db: TestDatabase;
	let node: TestNode;
	let client: Client;
	let other: Client;
	const contacts: Record<string, Contact> = {};
	const devices: Record<string, { id: string; phone: string }> = {};
	const stranger = '+60129990001';
	let campaignId: string;

	beforeAll(async () => {
		await double.start();
		db = await postgresDatabase();
		node = await startNode({ db, services: CAMPAIGN_NODE_SERVICES, settings: { devices: testDeviceSettings(double.endpoint, { dispatchPollMs: 200 }), ...FAST_CAMPAIGN_SETTINGS } });
		client = new Client(node.url);
		await client.register();
		other = new Client(node.url);
		await other.register();
		for (const name of ['Shop A', 'Shop B', 'Shop C']) {
			const linked = await linkDevice(client, double, name);
			devices[name] = { id: linked.id, phone: linked.phone.phone };
			expect((await client.patch(`/api/devices/${linked.id}`, { pacing: NO_PACING })).status).toBe(200);
		}
		// Malaysian mobile numbers: the double's default 555 numbers are not valid numbers for lead import.
		for (const [i, name] of ['Aisha', 'Ben', 'Chen', 'Dana', 'Eve'].entries()) contacts[name] = double.addContact({ name, phone: `6012345100${i}` });
	});
	afterAll(async () => {
		await node?.stop();
		await db?.drop();
		await double.stop();
	});

	it('imports the leads of three numbers; bad rows are reported and the good ones kept', async () => {
		const csv = [
			'device,name,phone,niche,target_status',
			`Shop A,Aisha,+${contacts.Aisha.phone},shoes;bags,prospect`,
			`Shop B,Ben,+${contacts.Ben.phone},shoes,customer`,
			`${devices['Shop C'].id},Chen,+${contacts.Chen.phone},Shoes,prospect`,
			`Shop A,Dana,+${contacts.Dana.phone},bags,prospect`,
			`Shop B,Eve,+${contacts.Eve.phone},shoes,prospect`,
			`Shop C,Nobody,${stranger},shoes,prospect`,
			'Shop A,Bad,12,shoes,prospect',
			`No Such Shop,Lost,+${contacts.Aisha.phone},shoes,prospect`,
		].join('\n');
		const { status, body } = await client.request('POST', '/api/leads/import', csv, { 'content-type': 'text/csv' });
		expect(status).toBe(200);
		expect(body, JSON.stringify(body)).toMatchObject({ created: 6, rejected: 2 });
		expect(body.rows.filter((r: { status: string }) => r.status === 'rejected').map((r: { row: number }) => r.row)).toEqual([8, 9]);
	});

	it('a lead who writes STOP to its number is opted out', async () => {
		await contacts.Eve.sendText(devices['Shop B'].phone, 'stop');
		const deadline = Date.now() + 10_000;
		let eve: { optedOut: boolean } | undefined;
		while (!eve?.optedOut && Date.now() < deadline) {
			eve = (await client.get(`/api/leads?q=Eve`)).body.items[0];
			if (!eve?.optedOut) await new Promise(resolve => setTimeout(resolve, 100));
		}
		expect(eve?.optedOut).toBe(true);
	});

	it('fires when due and every matching lead gets exactly one message, live in the report', async () => {
		const image = await testImage();
		const upload = await fetch(`${node.url}/api/media`, { method: 'POST', body: new Uint8Array(image), headers: { 'content-type': 'image/png', cookie: client.cookie! } });
		expect(upload.status).toBe(201);
		const media = (await upload.json()) as { id: string };
		const live = await LiveSocket.open(node.url, { cookie: client.cookie! });
		const otherLive = await LiveSocket.open(node.url, { cookie: other.cookie! });
		const { status, body } = await client.post('/api/campaigns', {
			title: 'New shoes',
			scheduledAt: new Date(Date.now() + 500).toISOString(),
			niche: 'shoes',
			targetStatus: 'all',
			message: '{Hi|Hello} {name}, our new shoes are in!',
			mediaId: media.id,
			minDelaySeconds: 0,
			maxDelaySeconds: 0,
		});
		expect(status).toBe(201);
		campaignId = body.id;
		const done = await live.next(f => f.type === 'campaign.progress' && f.payload.report.campaignId === campaignId && f.payload.report.status !== 'running', 30_000);
		const report = done.payload.report;
		expect(report.status).toBe('completed_with_failures');
		expect(report.totals).toMatchObject({ shouldSend: 4, failed: 1, pending: 0, sending: 0 });
		expect(reached(report.totals)).toBe(3);
		expect(report.skippedOptedOut).toBe(1);
		expect(report.devices).toHaveLength(3);
		expect(live.frames.filter(f => f.type === 'campaign.progress').length).toBeGreaterThan(0);

		for (const [name, shop] of [['Aisha', 'Shop A'], ['Ben', 'Shop B'], ['Chen', 'Shop C']]) {
			const got = contacts[name].received();
			expect(got, `${name} gets one message`).toHaveLength(1);
			expect(got[0].fromPhone).toBe(devices[shop].phone);
			expect(got[0].text).toMatch(new RegExp(`^(Hi|Hello) ${name}, our new shoes are in!$`));
			expect(got[0].image?.bytes.length).toBeGreaterThan(1000);
			expect(got[0].image?.bytes.length).toBeLessThanOrEqual(350 * 1024);
		}
		expect(contacts.Dana.received()).toEqual([]);
		expect(contacts.Eve.received().filter(m => m.fromPhone === devices['Shop B'].phone)).toEqual([]);

		const failed = await client.get(`/api/campaigns/${campaignId}/recipients?status=failed`);
		expect(failed.body.items).toEqual([expect.objectContaining({ phone: stranger, deviceId: devices['Shop C'].id, error: expect.stringMatching(/^not on WhatsApp/) })]);
		expect(otherLive.frames.filter(f => f.type.startsWith('campaign.'))).toEqual([]);
		live.close();
		otherLive.close();
	});

	it('delivery and read receipts reach the report', async () => {
		const aisha = contacts.Aisha.received()[0];
		contacts.Aisha.markRead([aisha.id]);
		const report = await waitForReport(client, campaignId, r => r.totals.read === 1);
		expect(report.devices.find(d => d.deviceId === devices['Shop A'].id)).toMatchObject({ read: 1 });
		const recipients = await client.get(`/api/campaigns/${campaignId}/recipients?device=${devices['Shop A'].id}`);
		expect(recipients.body.items).toEqual([expect.objectContaining({ name: 'Aisha', status: 'read', readAt: expect.any(String) })]);
	});

	it('another user can neither read nor change the campaign', async () => {
		for (const [method, path] of [
			['GET', `/api/campaigns/${campaignId}`],
			['GET', `/api/campaigns/${campaignId}/report`],
			['GET', `/api/campaigns/${campaignId}/recipients`],
			['PATCH', `/api/campaigns/${campaignId}`],
			['POST', `/api/campaigns/${campaignId}/clone`],
			['POST', `/api/campaigns/${campaignId}/cancel`],
			['POST', `/api/campaigns/${campaignId}/retry-failed`],
			['POST', `/api/campaigns/${campaignId}/resend-interrupted`],
			['DELETE', `/api/campaigns/${campaignId}`],
		]) {
			const body = method === 'PATCH' ? { title: 'Mine now' } : path.endsWith('/resend-interrupted') ? { mayDuplicate: true } : method === 'GET' || method === 'DELETE' ? undefined : {};
			const res = await other.request(method, path, body);
			expect(res.status, `${method} ${path}`).toBe(404);
		}
		expect((await other.get('/api/campaigns')).body.items).toEqual([]);
		expect((await client.get(`/api/campaigns/${campaignId}`)).body.title).toBe('New shoes');
	});

	it('retry-failed leaves a number without WhatsApp failed, and a clone is a draft that never fires', async () => {
		expect((await client.post(`/api/campaigns/${campaignId}/retry-failed`, {})).body).toEqual({ retried: 0 });
		const { status, body: copy } = await client.post(`/api/campaigns/${campaignId}/clone`, {});
		expect(status).toBe(201);
		expect(copy).toMatchObject({ title: 'New shoes (Copy)', status: 'draft', niche: 'shoes', message: '{Hi|Hello} {name}, our new shoes are in!' });
		const list = await client.get('/api/campaigns');
		expect(list.body.summary).toMatchObject({ draft: 1, completed_with_failures: 1 });
	});
});

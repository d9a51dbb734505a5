import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AiCampaignReport } from '../../../services/ai-campaigns/ai-campaigns.params.ts';
import { WhatsAppDouble, type Contact } from '../../../services/whatsapp-double/index.ts';
import { CAMPAIGN_NODE_SERVICES, FAST_CAMPAIGN_SETTINGS, NO_PACING } from '../../helpers/campaigns.ts';
import { postgresDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { linkDevice, testDeviceSettings, waitForDevice } from '../../helpers/devices.ts';
import { Client } from '../../helpers/http.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

const NAMES = ['Aisha', 'Ben', 'Chen', 'Diego', 'Emma', 'Farah', 'Gopal', 'Hana', 'Ifeoma', 'Joao', 'Kirra', 'Linh'];

describe('an AI campaign spreads the pool over the online numbers and fails over', () => {
	const double = new WhatsAppDouble();
	let db: TestDatabase;
	let node: TestNode;
	let client: Client;
	const shops: { id: string; phone: string }[] = [];
	const contacts: Contact[] = [];

	beforeAll(async () => {
		await double.start();
		db = await postgresDatabase();
		node = await startNode({ db, services: CAMPAIGN_NODE_SERVICES, settings: { devices: testDeviceSettings(double.endpoint, { dispatchPollMs: 200 }), ...FAST_CAMPAIGN_SETTINGS } });
		client = new Client(node.url);
		await client.register();
		for (let i = 0; i < 3; i++) {
			const linked = await linkDevice(client, double, `Shop ${i + 1}`);
			expect((await client.patch(`/api/devices/${linked.id}`, { pacing: NO_PACING })).status).toBe(200);
			shops.push({ id: linked.id, phone: linked.phone.phone });
		}
		NAMES.forEach((name, i) => contacts.push(double.addContact({ name, phone: `6012346${String(i).padStart(4, '0')}` })));
	});
	afterAll(async () => {
		await node?.stop();
		await db?.drop();
		await double.stop();
	});

	/** The pool gets these contacts (and any extra rows) under `niche`. */
	async function pool(niche: string, people: Contact[], extra: string[] = []) {
		const rows = ['name,phone,niche', ...people.map(c => `${c.name},+${c.phone},${niche}`), ...extra];
		const { status, body } = await client.request('POST', '/api/ai-leads/import', rows.join('\n'), { 'content-type': 'text/csv' });
		expect(status, JSON.stringify(body)).toBe(200);
		expect(body.created).toBe(people.length + extra.length);
	}

	async function run(niche: string, deviceLimit: number, deviceIds?: string[]): Promise<string> {
		const { status, body } = await client.post('/api/ai-campaigns', {
			title: `AI ${niche}`,
			scheduledAt: new Date().toISOString(),
			niche,
			message: 'Hello {name}, from the pool',
			deviceLimit,
			minDelaySeconds: 0,
			maxDelaySeconds: 0,
			...(deviceIds ? { deviceIds } : {}),
		});
		expect(status, JSON.stringify(body)).toBe(201);
		return body.id;
	}

	const report = async (id: string) => (await client.get<AiCampaignReport>(`/api/ai-campaigns/${id}/report`)).body;
	const ended = (id: string) => expect.poll(async () => (await report(id)).status, { timeout: 30_000 }).toBe('completed');
	const received = (c: Contact) => c.received().filter(m => m.text === `Hello ${c.name}, from the pool`).length;

	it('gives each online number its share in turn, up to the limit, each contact once', async () => {
		const people = contacts.slice(0, 6);
		await pool('spread', people);
		const id = await run('spread', 2);
		await ended(id);
		const r = await report(id);
		expect(r.totals).toMatchObject({ leads: 6, pending: 0, assigned: 0, sent: 6, failed: 0 });
		expect(r.statusReason).toBeNull();
		expect(r.devices.map(d => [d.sent, d.state])).toEqual(shops.map(() => [2, 'full']));
		for (const c of people) expect(received(c), c.name).toBe(1);
		// Each message came from the number the report gives it to, once.
		const senders = people.map(c => c.received().at(-1)!.fromPhone);
		expect(new Set(senders).size).toBe(3);
		const { body: leads } = await client.get('/api/ai-leads?niche=spread&status=sent');
		expect(leads.total).toBe(6);
	});

	it('a number that fails three sends in a row is marked failed and its leads reach the others; a lead not on WhatsApp fails alone', async () => {
		// Nine fresh leads: after its first two fail, the failing number still finds fresh ones to fail a third time.
		const people = [...contacts.slice(6, 12), ...['Mia', 'Nour', 'Omar'].map((name, i) => double.addContact({ name, phone: `6012346${String(20 + i).padStart(4, '0')}` }))];
		await pool('failover', people, ['Nobody,+60129990001,failover']);
		double.faults.rejectSends(shops[0]!.phone, 479);
		// The others send a message a second, so the pool still has leads while the failing number burns through three.
		for (const shop of shops.slice(1)) await client.patch(`/api/devices/${shop.id}`, { pacing: { ...NO_PACING, minDelaySeconds: 1, maxDelaySeconds: 1 } });
		try {
			const id = await run('failover', 10);
			await ended(id);
			const r = await report(id);
			expect(r.totals, JSON.stringify(r)).toMatchObject({ leads: 10, pending: 0, assigned: 0, sent: 9, failed: 1 });
			const failing = r.devices.find(d => d.deviceId === shops[0]!.id)!;
			// Three in a row fail it; what was already on its way may fail too.
			expect(failing).toMatchObject({ state: 'failed', sent: 0 });
			expect(failing.consecutiveFailures).toBeGreaterThanOrEqual(3);
			expect(failing.failed).toBeGreaterThanOrEqual(3);
			for (const d of r.devices.filter(d => d.deviceId !== shops[0]!.id)) expect(d.state).not.toBe('failed');
			for (const c of people) {
				const texts = c.received().filter(m => m.text === `Hello ${c.name}, from the pool`);
				expect(texts, c.name).toHaveLength(1);
				expect(texts[0]!.fromPhone).not.toBe(shops[0]!.phone);
			}
			const { body: nobody } = await client.get('/api/ai-leads?q=60129990001');
			expect(nobody.items[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('not on WhatsApp') });
		} finally {
			double.faults.allowSends(shops[0]!.phone);
			for (const shop of shops.slice(1)) await client.patch(`/api/devices/${shop.id}`, { pacing: NO_PACING });
		}
	});

	it('a limit too small for the pool ends the campaign with the remainder pending and counted', async () => {
		const people = contacts.slice(0, 5);
		await client.request('POST', '/api/ai-leads/import', ['name,phone,niche', ...people.map(c => `${c.name},+${c.phone},small`)].join('\n'), { 'content-type': 'text/csv' });
		// The same phones were sent in the first test: they are put back in the pool by hand.
		const { body: page } = await client.get('/api/ai-leads?niche=small');
		for (const lead of page.items) expect((await client.patch(`/api/ai-leads/${lead.id}`, { status: 'pending' })).status).toBe(200);
		const id = await run('small', 1, [shops[1]!.id, shops[2]!.id]);
		await ended(id);
		const r = await report(id);
		expect(r.totals).toMatchObject({ leads: 5, pending: 3, sent: 2 });
		expect(r.statusReason).toBe('No number can take more: 3 leads stay pending in the pool.');
		expect(r.devices.map(d => d.deviceId).sort()).toEqual([shops[1]!.id, shops[2]!.id].sort());
	});

	it('a number that goes offline stops getting leads, and the others finish', async () => {
		await client.request('POST', '/api/ai-leads/import', ['name,phone,niche', ...contacts.map(c => `${c.name},+${c.phone},offline`)].join('\n'), { 'content-type': 'text/csv' });
		const { body: page } = await client.get('/api/ai-leads?niche=offline&pageSize=100');
		for (const lead of page.items) await client.patch(`/api/ai-leads/${lead.id}`, { status: 'pending' });
		// Two seconds between sends on each number: the campaign is still going when one is banned.
		for (const shop of shops) await client.patch(`/api/devices/${shop.id}`, { pacing: { ...NO_PACING, minDelaySeconds: 2, maxDelaySeconds: 2 } });
		const id = await run('offline', 10);
		await expect.poll(async () => (await report(id)).devices.find(d => d.deviceId === shops[2]!.id)!.sent, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
		double.faults.ban(shops[2]!.phone);
		await waitForDevice(client, shops[2]!.id, d => d.status !== 'online');
		const sentThere = (await report(id)).devices.find(d => d.deviceId === shops[2]!.id)!.sent;
		await expect.poll(async () => (await report(id)).status, { timeout: 60_000 }).toBe('completed');
		const r = await report(id);
		expect(r.totals).toMatchObject({ leads: 12, sent: 12, pending: 0, failed: 0 });
		expect(r.devices.find(d => d.deviceId === shops[2]!.id)).toMatchObject({ sent: sentThere, state: 'offline', assigned: 0 });
		for (const c of contacts) expect(c.received().filter(m => m.text === `Hello ${c.name}, from the pool`).length, c.name).toBeGreaterThanOrEqual(1);
	}, 90_000);

	it('another tenant sees none of it', async () => {
		const other = new Client(node.url);
		await other.register();
		const { body: campaigns } = await client.get('/api/ai-campaigns');
		expect(campaigns.length).toBeGreaterThan(0);
		expect((await other.get(`/api/ai-campaigns/${campaigns[0].id}/report`)).status).toBe(404);
		expect((await other.get('/api/ai-campaigns')).body).toEqual([]);
		expect((await other.get('/api/ai-leads')).body).toEqual({ items: [], total: 0 });
		const { body: lead } = await client.get('/api/ai-leads?pageSize=1');
		expect((await other.get(`/api/ai-leads/${lead.items[0].id}`)).status).toBe(404);
		expect((await other.patch(`/api/ai-leads/${lead.items[0].id}`, { name: 'Mine' })).status).toBe(404);
		expect((await other.post(`/api/ai-campaigns/${campaigns[0].id}/cancel`)).status).toBe(404);
	});
});

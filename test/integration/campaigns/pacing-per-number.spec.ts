import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WhatsAppDouble, type Contact, type Phone } from '../../../services/whatsapp-double/index.ts';
import { CAMPAIGN_NODE_SERVICES, FAST_CAMPAIGN_SETTINGS, NO_PACING, reached, waitForReport } from '../../helpers/campaigns.ts';
import { pgliteDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { linkDevice, testDeviceSettings, waitForDevice } from '../../helpers/devices.ts';
import { Client } from '../../helpers/http.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

const POLL_MS = 200;

describe('pacing is per number, across campaigns; messages wait, never dropped', () => {
	const double = new WhatsAppDouble();
	let db: TestDatabase;
	let node: TestNode;
	let client: Client;
	const shops: Record<string, { id: string; phone: Phone }> = {};
	const contacts: Contact[] = [];

	async function importLeads(rows: [shop: string, contact: Contact, niche: string][]): Promise<void> {
		const csv = ['device,name,phone,niche', ...rows.map(([shop, c, niche]) => `${shop},${c.name},+${c.phone},${niche}`)].join('\n');
		const { body } = await client.request('POST', '/api/leads/import', csv, { 'content-type': 'text/csv' });
		expect(body.rejected, JSON.stringify(body)).toBe(0);
	}

	async function campaign(title: string, niche: string): Promise<string> {
		const { status, body } = await client.post('/api/campaigns', { title, niche, scheduledAt: new Date().toISOString(), message: `${title} for {name}`, minDelaySeconds: 0, maxDelaySeconds: 0 });
		expect(status, JSON.stringify(body)).toBe(201);
		return body.id;
	}

	beforeAll(async () => {
		await double.start();
		db = pgliteDatabase();
		node = await startNode({ db, services: CAMPAIGN_NODE_SERVICES, settings: { devices: testDeviceSettings(double.endpoint, { dispatchPollMs: POLL_MS }), ...FAST_CAMPAIGN_SETTINGS } });
		client = new Client(node.url);
		await client.register();
		for (const name of ['Capped', 'Slow', 'Away']) shops[name] = await linkDevice(client, double, name);
		await client.patch(`/api/devices/${shops.Capped.id}`, { pacing: { ...NO_PACING, hourlyCap: 2 } });
		await client.patch(`/api/devices/${shops.Slow.id}`, { pacing: { ...NO_PACING, minDelaySeconds: 1, maxDelaySeconds: 1 } });
		await client.patch(`/api/devices/${shops.Away.id}`, { pacing: NO_PACING });
		for (let i = 0; i < 10; i++) contacts.push(double.addContact({ name: `Lead ${i}`, phone: `601234520${String(i).padStart(2, '0')}` }));
	});
	afterAll(async () => {
		await node?.stop();
		await db?.drop();
		await double.stop();
	});

	it('a number capped at 2 an hour sends 2, holds the rest as pending, and sends them once the cap is raised', async () => {
		await importLeads(contacts.slice(0, 4).map(c => ['Capped', c, 'capped']));
		const id = await campaign('Capped', 'capped');
		const report = await waitForReport(client, id, r => reached(r.totals) === 2);
		// Several dispatch polls later nothing more went out, and nothing was dropped.
		await new Promise(resolve => setTimeout(resolve, POLL_MS * 6));
		const later = await waitForReport(client, id, () => true);
		expect(reached(later.totals)).toBe(2);
		expect(later.totals).toMatchObject({ shouldSend: 4, pending: 2, failed: 0, cancelled: 0 });
		expect(later.status).toBe('running');
		expect(contacts.slice(0, 4).filter(c => c.received().length === 1)).toHaveLength(2);
		expect(report.totals.shouldSend).toBe(4);

		// Raising the cap plans the number's queue again: what it held goes now, not in an hour.
		expect((await client.patch(`/api/devices/${shops.Capped.id}`, { pacing: { hourlyCap: 80 } })).status).toBe(200);
		const released = await waitForReport(client, id, r => r.status === 'completed', 5_000);
		expect(reached(released.totals)).toBe(4);
		expect(contacts.slice(0, 4).every(c => c.received().length === 1)).toBe(true);
	});

	it('two campaigns on one number share its pacing: one gap between every two sends, whichever campaign', async () => {
		await importLeads([
			['Slow', contacts[4], 'first'],
			['Slow', contacts[5], 'first'],
			['Slow', contacts[6], 'second'],
			['Slow', contacts[7], 'second'],
		]);
		const first = await campaign('First', 'first');
		const second = await campaign('Second', 'second');
		for (const id of [first, second]) await waitForReport(client, id, r => r.status === 'completed', 20_000);
		const sentAt: number[] = [];
		for (const id of [first, second]) {
			const { body } = await client.get(`/api/campaigns/${id}/recipients`);
			for (const r of body.items) sentAt.push(Date.parse(r.sentAt));
		}
		sentAt.sort((a, b) => a - b);
		expect(sentAt).toHaveLength(4);
		for (let i = 1; i < sentAt.length; i++) expect(sentAt[i] - sentAt[i - 1], `gap ${i}`).toBeGreaterThanOrEqual(950);
	});

	it('a number offline when the campaign fires sends when it is back', async () => {
		double.faults.ban(shops.Away.phone);
		await waitForDevice(client, shops.Away.id, d => d.status === 'banned');
		await importLeads([
			['Away', contacts[8], 'away'],
			['Slow', contacts[9], 'away'],
		]);
		const id = await campaign('Away', 'away');
		await waitForReport(client, id, r => reached(r.totals) === 1 && r.totals.pending === 1);
		expect(contacts[8].received()).toEqual([]);
		double.faults.unban(shops.Away.phone);
		expect((await client.post(`/api/devices/${shops.Away.id}/reconnect`)).status).toBe(200);
		const report = await waitForReport(client, id, r => r.status === 'completed', 20_000);
		expect(reached(report.totals)).toBe(2);
		expect(contacts[8].received()).toHaveLength(1);
		expect(contacts[8].received()[0].fromPhone).toBe(shops.Away.phone.phone);
	});
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AiCampaignReport } from '../../services/ai-campaigns/ai-campaigns.params.ts';
import { WhatsAppDouble, type Contact, type LoggedEvent } from '../../services/whatsapp-double/index.ts';
import { NO_PACING } from '../helpers/campaigns.ts';
import { linkDevice } from '../helpers/devices.ts';
import { Client } from '../helpers/http.ts';
import { clusterServersReachable, startCluster, type TestCluster } from '../helpers/processes.ts';

const available = await clusterServersReachable();
const LEADS = 12;

describe.runIf(available)('three node processes on nats-server: an AI campaign outlives the SIGKILL of a node assigning it', () => {
	const double = new WhatsAppDouble();
	let cluster: TestCluster;

	beforeAll(async () => {
		await double.start();
		const env = { WHATSAPP_DOUBLE_URL: double.endpoint.url, DEVICE_START_JITTER_MS: '0', PROGRESS_INTERVAL_MS: '200', DISPATCH_POLL_MS: '300', ORPHAN_AFTER_SECONDS: '3' };
		// The numbers stay on the edge; both workers fire, assign and apply outcomes, and one of them dies.
		const worker = ['ai-campaigns', 'messages'];
		cluster = await startCluster({ edge: ['gateway', 'users', 'leads', 'ai-leads', 'messages', 'media', 'devices', 'inbox'], worker1: worker, worker2: worker }, env);
	}, 90_000);

	afterAll(async () => {
		await cluster?.stop();
		await double.stop();
	});

	it('every lead is sent once, none lost', async () => {
		const client = new Client(cluster.url);
		await client.register();
		for (let i = 0; i < 3; i++) {
			const { id } = await linkDevice(client, double, `Shop ${i + 1}`);
			expect((await client.patch(`/api/devices/${id}`, { pacing: { ...NO_PACING, minDelaySeconds: 1, maxDelaySeconds: 1 } })).status).toBe(200);
		}
		const contacts: Contact[] = [];
		for (let i = 0; i < LEADS; i++) contacts.push(double.addContact({ name: `Pool ${String.fromCharCode(65 + i)}`, phone: `60123490${String(i).padStart(3, '0')}` }));
		const rows = ['name,phone,niche', ...contacts.map(c => `${c.name},+${c.phone},kill`)];
		expect((await client.request('POST', '/api/ai-leads/import', rows.join('\n'), { 'content-type': 'text/csv' })).body.created).toBe(LEADS);

		// worker1 dies the moment the fourth message reaches a contact: assignment rounds and outcomes are under way on both workers.
		let arrived = 0;
		const unsubscribe = double.events.subscribe((e: LoggedEvent) => {
			if (e.type === 'contact.received' && ++arrived === 4) cluster.nodes.worker1.child.kill('SIGKILL');
		});
		const { body: campaign } = await client.post('/api/ai-campaigns', { title: 'Kill', scheduledAt: new Date().toISOString(), niche: 'kill', message: 'Hi {name}', deviceLimit: 10, minDelaySeconds: 1, maxDelaySeconds: 1 });
		try {
			await expect.poll(() => arrived, { timeout: 60_000 }).toBeGreaterThanOrEqual(4);
			expect(await cluster.nodes.worker1.stop('SIGKILL')).toBeNull();
		} finally {
			unsubscribe();
		}
		expect(arrived, 'the kill came before the last lead').toBeLessThan(LEADS);

		// Until the broker drops the dead node a request routed to it times out: the report is read again, as the dashboard would.
		const report = async () => (await client.get<AiCampaignReport>(`/api/ai-campaigns/${campaign.id}/report`)).body;
		await expect.poll(report, { timeout: 120_000, interval: 500 }).toMatchObject({ status: 'completed', totals: { leads: LEADS, sent: LEADS, pending: 0, assigned: 0 } });
		for (const c of contacts) expect(c.received().map(m => m.text), c.name).toEqual([`Hi ${c.name}`]);
		double.assertNoConflicts();
	}, 240_000);
});

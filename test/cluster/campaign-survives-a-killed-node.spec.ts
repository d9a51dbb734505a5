import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecipientDto, ReportDto } from '../../services/campaigns/campaigns.params.ts';
import { preferredNode } from '../../services/devices/leases.ts';
import { NO_PACING, reached, waitForReport } from '../helpers/campaigns.ts';
import { linkDevice } from '../helpers/devices.ts';
import { Client } from '../helpers/http.ts';
import { clusterServersReachable, startCluster, type TestCluster } from '../helpers/processes.ts';
import { WhatsAppDouble, type Contact, type LoggedEvent } from '../../services/whatsapp-double/index.ts';

const available = await clusterServersReachable();

const LEASE_TTL_SECONDS = 5;
const NODES = ['edge', 'worker1', 'worker2'];
const LEADS_PER_DEVICE = 8;

describe.runIf(available)('three node processes on nats-server: a campaign outlives the SIGKILL of the node sending it', () => {
	const double = new WhatsAppDouble();
	let cluster: TestCluster;

	beforeAll(async () => {
		await double.start();
		const env = {
			WHATSAPP_DOUBLE_URL: double.endpoint.url,
			DEVICE_LEASE_TTL_SECONDS: String(LEASE_TTL_SECONDS),
			DEVICE_START_JITTER_MS: '0',
			CAMPAIGN_TICK_MS: '200',
			PROGRESS_INTERVAL_MS: '200',
			DISPATCH_POLL_MS: '300',
		};
		// Workers run the outbox beside their devices: the kill can land inside a claim or a record, not only between sends.
		const worker = ['devices', 'messages'];
		cluster = await startCluster({ edge: ['gateway', 'users', 'leads', 'campaigns', 'messages', 'media', 'devices'], worker1: worker, worker2: worker }, env);
	}, 90_000);

	afterAll(async () => {
		await cluster?.stop();
		await double.stop();
	});

	it('the survivors take its numbers over and finish: every message final, none sent twice, the interrupted one settled by its receipt', async () => {
		const client = new Client(cluster.url);
		await client.register();
		const holderOf = async (id: string): Promise<string | null> => (await client.get(`/api/devices/${id}`)).body.node;

		// Devices until a worker is the rendezvous choice for at least one (all on the edge is possible with few).
		const jids = new Map<string, string>();
		const preferred = (id: string) => preferredNode(id, NODES)!;
		while (jids.size < 4 || ([...jids.keys()].every(id => preferred(id) === 'edge') && jids.size < 10)) {
			const { id, jid } = await linkDevice(client, double, `Shop ${jids.size + 1}`);
			expect((await client.patch(`/api/devices/${id}`, { pacing: NO_PACING })).status).toBe(200);
			jids.set(id, jid);
		}
		const devices = [...jids.keys()];
		// Placement has settled once every device is on its preferred node: nothing moves mid-campaign but for the kill.
		await until(async () => (await Promise.all(devices.map(holderOf))).every((node, i) => node === preferred(devices[i])), 60_000, () => `placement never settled\n${cluster.logs()}`);

		// Contacts confirm delivery when the test says, so no receipt can die with the node before it is written.
		const contacts = new Map<string, Contact>();
		const rows = ['device,name,phone,niche'];
		devices.forEach((deviceId, d) => {
			for (let l = 0; l < LEADS_PER_DEVICE; l++) {
				const name = `Lead ${String.fromCharCode(65 + d)}${String.fromCharCode(97 + l)}`;
				const contact = double.addContact({ name, phone: `60123470${d}${String(l).padStart(2, '0')}`, autoDeliveryReceipts: false });
				contacts.set(`+${contact.phone}`, contact);
				rows.push(`${deviceId},${name},+${contact.phone},survivors`);
			}
		});
		const imported = await client.request('POST', '/api/leads/import', rows.join('\n'), { 'content-type': 'text/csv' });
		expect(imported.body.created, JSON.stringify(imported.body)).toBe(contacts.size);

		// One second between sends on each number, so the campaign is still going when a node dies.
		const created = await client.post('/api/campaigns', { title: 'Survivors', niche: 'survivors', scheduledAt: new Date().toISOString(), message: 'Hello {name}', minDelaySeconds: 1, maxDelaySeconds: 1 });
		expect(created.status, JSON.stringify(created.body)).toBe(201);
		const campaignId: string = created.body.id;

		// The victim: a worker whose number has sent and has more to send.
		const sendingOnAWorker = (d: ReportDto['devices'][number]) => preferred(d.deviceId) !== 'edge' && reached(d) >= 1 && d.pending > 0;
		const started = await waitForReport(client, campaignId, r => r.devices.some(sendingOnAWorker), 60_000);
		const victim = preferred(started.devices.find(sendingOnAWorker)!.deviceId);
		const killed = devices.filter(id => preferred(id) === victim);
		expect(await Promise.all(killed.map(holderOf))).toEqual(killed.map(() => victim));
		// Killed the moment its next message reaches the contact, in the double's own event: most likely before the node wrote it down as sent.
		const victimJids = new Set(killed.map(id => jids.get(id)));
		const fromVictim = (e: LoggedEvent) => e.type === 'contact.received' && victimJids.has(e.from);
		const unsubscribe = double.events.subscribe(e => {
			if (fromVictim(e)) cluster.nodes[victim].child.kill('SIGKILL');
		});
		await double.waitFor('contact.received', fromVictim, { since: double.events.lastSeq, timeoutMs: 30_000 }).finally(unsubscribe);
		expect(await cluster.nodes[victim].stop('SIGKILL')).toBeNull();
		// No one may claim the victim's messages before its leases expire: what is pending now was pending at the kill.
		const atKill = (await client.get<ReportDto>(`/api/campaigns/${campaignId}/report`)).body;
		expect(atKill.devices.filter(d => killed.includes(d.deviceId)).reduce((n, d) => n + d.pending, 0), JSON.stringify(atKill)).toBeGreaterThan(0);

		const ended = await waitForReport(client, campaignId, r => r.status !== 'running', 120_000).catch(err => {
			throw new Error(`${err.message}\n${cluster.logs()}`);
		});
		expect(ended.totals.pending + ended.totals.sending, JSON.stringify(ended)).toBe(0);
		expect(ended.totals.shouldSend).toBe(contacts.size);
		expect(ended.status).toBe(outcome(ended));
		for (const id of killed) expect(NODES.filter(n => n !== victim)).toContain(await holderOf(id));

		// No contact got a message twice, and each got its own text.
		for (const contact of contacts.values()) {
			const texts = contact.received().map(m => m.text);
			expect(texts.length, `${contact.name}: ${JSON.stringify(texts)}`).toBeLessThanOrEqual(1);
			for (const text of texts) expect(text).toBe(`Hello ${contact.name}`);
		}
		// Each message left once and says so, or is the send the kill interrupted (at most one per killed number).
		const { body: recipients } = await client.get<{ items: RecipientDto[]; total: number }>(`/api/campaigns/${campaignId}/recipients?pageSize=500`);
		expect(recipients.total).toBe(contacts.size);
		const gotIt = (r: RecipientDto) => contacts.get(r.phone)!.received().length === 1;
		for (const r of recipients.items) {
			if (r.status === 'sent') expect(gotIt(r), `${r.phone} is sent but never received it`).toBe(true);
			else expect(r, 'only an interrupted send of a killed number may fail').toMatchObject({ status: 'failed', error: expect.stringMatching(/^interrupted/), deviceId: expect.toBeOneOf(killed) });
		}
		for (const id of killed) expect(recipients.items.filter(r => r.deviceId === id && r.status === 'failed').length).toBeLessThanOrEqual(1);

		// The contacts' receipts settle every message that arrived, the interrupted one too: reached is what they received.
		for (const contact of contacts.values()) contact.markDelivered();
		const arrived = [...contacts.values()].filter(c => c.received().length === 1).length;
		// The status follows a moment after the counters, once the receipts' progress is announced.
		const settled = await waitForReport(client, campaignId, r => r.totals.delivered === arrived && r.status === outcome(r), 30_000);
		expect(reached(settled.totals)).toBe(arrived);
		expect(settled.totals.failed).toBe(contacts.size - arrived);
		double.assertNoConflicts();
	}, 300_000);
});

const outcome = (report: ReportDto) => (report.totals.failed ? 'completed_with_failures' : 'completed');

async function until(check: () => Promise<boolean>, timeoutMs: number, describe: () => string): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > deadline) throw new Error(`${describe()} (after ${timeoutMs} ms)`);
		await new Promise(resolve => setTimeout(resolve, 200));
	}
}

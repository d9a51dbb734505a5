import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WhatsAppDouble, type Contact, type LoggedEvent } from '../../services/whatsapp-double/index.ts';
import type { SequenceReport } from '../../services/sequences/sequences.params.ts';
import { NO_PACING } from '../helpers/campaigns.ts';
import { linkDevice } from '../helpers/devices.ts';
import { Client } from '../helpers/http.ts';
import { clusterServersReachable, startCluster, type TestCluster } from '../helpers/processes.ts';

const available = await clusterServersReachable();

const LEADS = 12;
const STEPS = ['One for {name}', 'Two', 'Three'];
/** The survivor picks up what the dead node left half done after this long (60 s by default). */
const ORPHAN_AFTER_SECONDS = 3;

describe.runIf(available)('three node processes on nats-server: a sequence outlives the SIGKILL of a node stepping it', () => {
	const double = new WhatsAppDouble();
	let cluster: TestCluster;

	beforeAll(async () => {
		await double.start();
		const env = {
			WHATSAPP_DOUBLE_URL: double.endpoint.url,
			DEVICE_START_JITTER_MS: '0',
			PROGRESS_INTERVAL_MS: '200',
			DISPATCH_POLL_MS: '300',
			ORPHAN_AFTER_SECONDS: String(ORPHAN_AFTER_SECONDS),
		};
		// The numbers stay on the edge; both workers enrol, claim and apply outcomes, and one of them dies.
		const worker = ['sequences', 'messages'];
		cluster = await startCluster({ edge: ['gateway', 'users', 'leads', 'campaigns', 'messages', 'media', 'devices', 'inbox'], worker1: worker, worker2: worker }, env);
	}, 90_000);

	afterAll(async () => {
		await cluster?.stop();
		await double.stop();
	});

	it('every lead gets every step once and in order, and every enrolment completes', async () => {
		const client = new Client(cluster.url);
		await client.register();
		const shops: string[] = [];
		for (let i = 0; i < 2; i++) {
			const { id } = await linkDevice(client, double, `Shop ${i + 1}`);
			expect((await client.patch(`/api/devices/${id}`, { pacing: NO_PACING })).status).toBe(200);
			shops.push(id);
		}
		const created = await client.post('/api/sequences', {
			name: 'Survivors',
			trigger: 'survivors',
			minDelaySeconds: 0,
			maxDelaySeconds: 0,
			steps: STEPS.map((text, i) => ({ text, delaySeconds: i ? 2 : 0 })),
		});
		expect(created.status, JSON.stringify(created.body)).toBe(201);

		const contacts: Contact[] = [];
		const rows = ['device,name,phone,triggers'];
		for (let i = 0; i < LEADS; i++) {
			const contact = double.addContact({ name: `Lead ${String.fromCharCode(65 + i)}`, phone: `60123480${String(i).padStart(3, '0')}` });
			contacts.push(contact);
			rows.push(`${shops[i % 2]},${contact.name},+${contact.phone},survivors`);
		}
		// worker1 dies the moment the tenth step reaches a contact: both workers are stepping then, with steps due and outcomes arriving.
		let arrived = 0;
		const isStep = (e: LoggedEvent) => e.type === 'contact.received';
		const unsubscribe = double.events.subscribe(e => {
			if (isStep(e) && ++arrived === 10) cluster.nodes.worker1.child.kill('SIGKILL');
		});
		const imported = await client.request('POST', '/api/leads/import', rows.join('\n'), { 'content-type': 'text/csv' });
		expect(imported.body.created, JSON.stringify(imported.body)).toBe(LEADS);
		try {
			await expect.poll(() => arrived, { timeout: 60_000 }).toBeGreaterThanOrEqual(10);
			expect(await cluster.nodes.worker1.stop('SIGKILL')).toBeNull();
		} finally {
			unsubscribe();
		}
		expect(arrived, 'the kill came before the last step').toBeLessThan(LEADS * STEPS.length);

		const killedAt = Date.now();
		const expected = (contact: Contact) => STEPS.map(text => text.replace('{name}', contact.name));
		for (const contact of contacts) {
			await expect
				.poll(() => contact.received().map(m => m.text), { timeout: 60_000, message: `${contact.name}\n${cluster.logs()}` })
				.toEqual(expected(contact));
		}
		// The survivor carries on within seconds: what a message needs is read from a live node, and half-done steps are picked up.
		expect(Date.now() - killedAt).toBeLessThan(30_000);
		// Until the broker drops the dead node, a request routed to it times out: the report is read again, as the dashboard would.
		const readReport = async () => (await client.get<SequenceReport>(`/api/sequences/${created.body.id}/report`)).body;
		await expect.poll(readReport, { timeout: 60_000, interval: 500 }).toMatchObject({ enrolled: LEADS, completed: LEADS, active: 0, failed: 0, progress: 100 });
		const report = await readReport();
		expect(report.steps.map(s => s.sent + s.delivered + s.read)).toEqual(STEPS.map(() => LEADS));
		// Nothing more comes: no step was created twice, neither by the dead node's claims nor by the survivor's recovery.
		await new Promise(resolve => setTimeout(resolve, (ORPHAN_AFTER_SECONDS + 2) * 1000));
		for (const contact of contacts) expect(contact.received().map(m => m.text)).toEqual(expected(contact));
		double.assertNoConflicts();
	}, 180_000);
});

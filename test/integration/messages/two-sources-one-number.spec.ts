import { randomUUID } from 'node:crypto';
import type { Context, ServiceSchema } from 'moleculer';
import { asSchema } from '../../../mixins/service-schema.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnqueueParams, MessageContent } from '../../../services/messages/messages.params.ts';
import type { MessagesSettled, SettledMessage } from '../../../services/messages/messages.events.ts';
import { WhatsAppDouble, type Contact } from '../../../services/whatsapp-double/index.ts';
import { CAMPAIGN_NODE_SERVICES, FAST_CAMPAIGN_SETTINGS, NO_PACING, waitForReport } from '../../helpers/campaigns.ts';
import { pgliteDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { linkDevice, testDeviceSettings } from '../../helpers/devices.ts';
import { Client } from '../../helpers/http.ts';
import { importCsv } from '../../helpers/leads.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

/** A sequence step as the outbox sees one: a record with a template, from a stand-in sequences service. */
const STEP_ID = randomUUID();

describe('a campaign and a second source on one number: one pacing, one outcome event per status', () => {
	const double = new WhatsAppDouble();
	let db: TestDatabase;
	let node: TestNode;
	let client: Client;
	let userId: string;
	let device: { id: string };
	const contacts: Contact[] = [];
	const settled: SettledMessage[] = [];

	const sequences = asSchema({
		name: 'sequences',
		actions: {
			messageContent: {
				visibility: 'public',
				auth: 'public',
				handler: (ctx: Context<{ ids: string[] }>): Record<string, MessageContent> =>
					Object.fromEntries(ctx.params.ids.filter(id => id === STEP_ID).map(id => [id, { userId, text: 'Day 2 for {name}', greeting: 'none', mediaId: null, minDelaySeconds: 0, maxDelaySeconds: 0 }])),
			},
		},
	});
	/** Hears the outcome event as any source would. */
	const listener: ServiceSchema = {
		name: 'outcome-listener',
		events: {
			'messages.settled'(ctx: Context<MessagesSettled>) {
				settled.push(...ctx.params.messages);
			},
		},
	};

	beforeAll(async () => {
		await double.start();
		db = pgliteDatabase();
		node = await startNode({
			db,
			services: [...CAMPAIGN_NODE_SERVICES, sequences, listener],
			settings: { devices: testDeviceSettings(double.endpoint, { dispatchPollMs: 200 }), ...FAST_CAMPAIGN_SETTINGS },
		});
		client = new Client(node.url);
		userId = (await client.register()).id;
		device = await linkDevice(client, double, 'Shared');
		// One second between two sends of this number, whichever source they come from.
		await client.patch(`/api/devices/${device.id}`, { pacing: { ...NO_PACING, minDelaySeconds: 1, maxDelaySeconds: 1 } });
		for (const [i, name] of ['Aisha', 'Badrul', 'Chen', 'Devi'].entries()) contacts.push(double.addContact({ name, phone: `6012346${String(i).padStart(4, '0')}` }));
		const { body } = await importCsv(client, ['device,name,phone,niche', ...contacts.map((c, i) => `Shared,${c.name},+${c.phone},${i < 2 ? 'shoes' : 'later'}`)].join('\n'));
		expect(body.created, JSON.stringify(body)).toBe(4);
	});
	afterAll(async () => {
		await node?.stop();
		await db?.drop();
		await double.stop();
	});

	it('sends both sources’ messages one gap apart, each rendered from its own record', async () => {
		const { body: leads } = await client.get('/api/leads?niche=later');
		const batch: EnqueueParams = {
			userId,
			source: 'sequence',
			sourceId: STEP_ID,
			messages: leads.items.map((lead: { id: string; phone: string }) => ({ key: `enrolment-of-${lead.id}`, deviceId: device.id, leadId: lead.id, recipient: lead.phone })),
		};
		const { body: campaign } = await client.post('/api/campaigns', { title: 'Shoes', niche: 'shoes', scheduledAt: new Date().toISOString(), message: 'Shoes for {name}', minDelaySeconds: 0, maxDelaySeconds: 0 });
		await node.broker.call('messages.enqueue', batch);
		await waitForReport(client, campaign.id, r => r.status === 'completed', 20_000);
		await expect.poll(() => contacts.every(c => c.received().length === 1), { timeout: 20_000 }).toBe(true);

		expect(contacts.map(c => c.received()[0].text)).toEqual(['Shoes for Aisha', 'Shoes for Badrul', 'Day 2 for Chen', 'Day 2 for Devi']);
		const sentAt = contacts.map(c => c.received()[0].at).sort((a, b) => a - b);
		for (let i = 1; i < sentAt.length; i++) expect(sentAt[i] - sentAt[i - 1], `gap ${i}`).toBeGreaterThanOrEqual(950);
	});

	it('tells every source each change of status once, with its own source and record', async () => {
		for (const contact of contacts) contact.markRead();
		await expect.poll(() => settled.filter(m => m.status === 'read').length, { timeout: 10_000 }).toBe(4);
		const byMessage = new Map<string, SettledMessage[]>();
		for (const m of settled) byMessage.set(m.id, [...(byMessage.get(m.id) ?? []), m]);
		expect(byMessage.size).toBe(4);
		for (const events of byMessage.values()) {
			// Sent, then delivered (the contacts' phones confirm at once), then read: each once.
			expect(events.map(e => e.status)).toEqual(['sent', 'delivered', 'read']);
			expect(new Set(events.map(e => `${e.source}/${e.sourceId}/${e.key}/${e.leadId}/${e.deviceId}/${e.userId}`)).size).toBe(1);
		}
		const sources = [...byMessage.values()].map(([e]) => e.source).sort();
		expect(sources).toEqual(['campaign', 'campaign', 'sequence', 'sequence']);
		expect([...byMessage.values()].filter(([e]) => e.source === 'sequence').every(([e]) => e.sourceId === STEP_ID && e.key.startsWith('enrolment-of-'))).toBe(true);
	});
});

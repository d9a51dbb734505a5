import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asSchema } from '../../../mixins/service-schema.ts';
import { sqlOf } from '../../../mixins/orm.middleware.ts';
import type { LeadMessageFields } from '../../../services/leads/leads.params.ts';
import type { EnqueueLeadsParams, EnqueueLeadsResult, LeadAudience } from '../../../services/messages/messages.params.ts';
import MessagesService from '../../../services/messages/messages.service.ts';
import { createDatabase, databaseTargets, type TestDatabase } from '../../helpers/databases.ts';
import { importCsv, LEAD_NODE_SERVICES, tenantWithDevices } from '../../helpers/leads.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

describe.each(await databaseTargets())('a campaign’s audience becomes its messages inside the database, page by page (%s)', target => {
	let db: TestDatabase;
	let node: TestNode;

	beforeAll(async () => {
		db = await createDatabase(target);
		node = await startNode({ db, services: [...LEAD_NODE_SERVICES, asSchema(MessagesService)] });
	});
	afterAll(async () => {
		await node?.stop();
		await db?.drop();
	});

	/** Every page of an audience into one source record; answers the pages' results. */
	async function fire(userId: string, audience: LeadAudience, limit: number, sourceId = randomUUID()) {
		const pages: EnqueueLeadsResult[] = [];
		let after: string | null = null;
		for (;;) {
			const page: EnqueueLeadsResult = await node.broker.call<EnqueueLeadsResult, EnqueueLeadsParams>('messages.enqueueLeads', { userId, source: 'campaign', sourceId, audience, after, limit });
			pages.push(page);
			if (page.scanned < limit) return { sourceId, pages };
			after = page.last;
		}
	}
	const messagesOf = (sourceId: string) =>
		sqlOf(node.broker).execute<{ lead_id: string; device_id: string; recipient: string; source_key: string; body: string | null; user_id: string }[]>(
			`select lead_id, device_id, recipient, source_key, body, user_id from messages where source_id = ? order by lead_id`,
			[sourceId],
		);

	it('pages by lead id, matches the niche in any case and the target status, counts opt-outs, and stays in the tenant', async () => {
		const { client, user, devices } = await tenantWithDevices(node.url, ['One', 'Two']);
		const lines = ['name,phone,niche,target_status,device'];
		for (let i = 0; i < 250; i++) lines.push(`Lead ${i},+6012${3_000_000 + i},${i % 5 === 0 ? 'Property;VIP' : 'Cars'},${i % 2 ? 'customer' : 'prospect'},${i % 2 ? 'One' : 'Two'}`);
		expect((await importCsv(client, lines.join('\n'))).body.created).toBe(250);
		const { body: page } = await client.get('/api/leads?niche=property&pageSize=1');
		await client.patch(`/api/leads/${page.items[0].id}`, { optedOut: true });
		// Another tenant's lead in the same niche, with a phone of the first tenant's.
		const stranger = await tenantWithDevices(node.url, ['Theirs']);
		await stranger.client.post('/api/leads', { deviceId: stranger.devices['Theirs'], phone: '+60123000005', niches: ['Property'] });

		const all = await fire(user.id, { niche: null, targetStatus: 'all' }, 60);
		expect(all.pages.map(p => p.scanned)).toEqual([60, 60, 60, 60, 10]);
		expect(all.pages.reduce((n, p) => n + p.created, 0)).toBe(249);
		expect(all.pages.reduce((n, p) => n + p.optedOut, 0)).toBe(1);
		const rows = await messagesOf(all.sourceId);
		expect(rows).toHaveLength(249);
		expect(new Set(rows.map(r => r.user_id))).toEqual(new Set([user.id]));
		expect(rows.every(r => r.source_key === r.recipient && r.body === null && [devices['One'], devices['Two']].includes(r.device_id))).toBe(true);
		expect(rows.map(r => r.lead_id)).not.toContain(page.items[0].id);

		const property = await fire(user.id, { niche: 'PROPERTY', targetStatus: 'all' }, 1_000);
		expect(property.pages).toMatchObject([{ scanned: 50, created: 49, optedOut: 1 }]);
		// The opted-out lead is a prospect or a customer: each of those audiences counts it once, as skipped.
		const vipCustomers = (await fire(user.id, { niche: 'vip', targetStatus: 'customer' }, 1_000)).pages[0];
		const prospects = (await fire(user.id, { niche: '', targetStatus: 'prospect' }, 1_000)).pages[0];
		expect([vipCustomers.scanned, vipCustomers.created + vipCustomers.optedOut]).toEqual([25, 25]);
		expect([prospects.scanned, prospects.created + prospects.optedOut]).toEqual([125, 125]);
		expect(vipCustomers.optedOut + prospects.optedOut).toBe(1);
		expect((await fire(user.id, { niche: 'Boats', targetStatus: 'all' }, 1_000)).pages).toEqual([{ scanned: 0, optedOut: 0, created: 0, last: null, deviceIds: [] }]);
	});

	it('firing again creates nothing twice, and the device wake-up names each device once', async () => {
		const { client, user, devices } = await tenantWithDevices(node.url, ['Solo']);
		await importCsv(client, ['name,phone,niche,device', ...[1, 2, 3].map(i => `L${i},+60124000${i}00,Rerun,Solo`)].join('\n'));
		const first = await fire(user.id, { niche: 'rerun', targetStatus: 'all' }, 2);
		expect(first.pages.map(p => p.created)).toEqual([2, 1]);
		expect(first.pages[0].deviceIds).toEqual([devices['Solo']]);
		const again = await fire(user.id, { niche: 'rerun', targetStatus: 'all' }, 2, first.sourceId);
		expect(again.pages.map(p => p.created)).toEqual([0, 0]);
		expect(await messagesOf(first.sourceId)).toHaveLength(3);
	});

	it('tells the sending node each lead’s fields as they are now, with the tenant to check', async () => {
		const { client, user, devices } = await tenantWithDevices(node.url, ['Fields']);
		const { body: lead } = await client.post('/api/leads', { deviceId: devices['Fields'], phone: '+60125550001', name: 'Aisha', niches: ['Shoes'], notes: 'Size 38' });
		await client.patch(`/api/leads/${lead.id}`, { name: 'Aisha Rahman', optedOut: true });
		const fields = await node.broker.call<Record<string, LeadMessageFields>, { ids: string[] }>('leads.messageFields', { ids: [lead.id, randomUUID()] });
		expect(fields).toEqual({ [lead.id]: { id: lead.id, userId: user.id, name: 'Aisha Rahman', niches: ['Shoes'], targetStatus: 'prospect', notes: 'Size 38', optedOut: true } });
		await expect(node.broker.call('leads.messageFields', { ids: ['nope'] })).rejects.toMatchObject({ name: 'ValidationError' });
		// Internal: not reachable over HTTP (the path falls through to GET /api/leads/:id).
		expect((await client.get('/api/leads/messageFields')).status).toBe(400);
	});
});

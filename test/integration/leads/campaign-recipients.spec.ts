import { describe, expect, it } from 'vitest';
import { databaseTargets } from '../../helpers/databases.ts';
import { importCsv, leadsTestbed, tenantWithDevices } from '../../helpers/leads.ts';
import type { RecipientsParams, RecipientsResult } from '../../../services/leads/leads.params.ts';

describe.each(await databaseTargets())('a campaign reads its audience from leads.recipients, page by page (%s)', target => {
	const bed = leadsTestbed(target);
	const recipients = (params: RecipientsParams) => bed.node.broker.call<RecipientsResult, RecipientsParams>('leads.recipients', params);

	it('pages by id with after and limit, filters by niche (any case) and target status, and includes opt-outs flagged', async () => {
		const { client, user, devices } = await tenantWithDevices(bed.node.url, ['One', 'Two']);
		const lines = ['name,phone,niche,target_status,triggers,device'];
		for (let i = 0; i < 250; i++) {
			lines.push(`Lead ${i},+6012${3_000_000 + i},${i % 5 === 0 ? 'Property;VIP' : 'Cars'},${i % 2 ? 'customer' : 'prospect'},t${i % 3},${i % 2 ? 'One' : 'Two'}`);
		}
		expect((await importCsv(client, lines.join('\n'))).body.created).toBe(250);
		const { body: page } = await client.get('/api/leads?niche=property&pageSize=1');
		await client.patch(`/api/leads/${page.items[0].id}`, { optedOut: true });
		const stranger = await tenantWithDevices(bed.node.url, ['Theirs']);
		await stranger.client.post('/api/leads', { deviceId: stranger.devices['Theirs'], phone: '+60123000001', niches: ['Property'] });

		const seen: string[] = [];
		let after: string | undefined;
		for (;;) {
			const { leads } = await recipients({ userId: user.id, targetStatus: 'all', after, limit: 60 });
			if (!leads.length) break;
			seen.push(...leads.map(l => l.id));
			after = leads.at(-1)!.id;
		}
		expect(seen).toHaveLength(250);
		expect(new Set(seen).size).toBe(250);
		expect([...seen].sort()).toEqual(seen);

		const property = (await recipients({ userId: user.id, niche: 'PROPERTY', targetStatus: 'all' })).leads;
		expect(property).toHaveLength(50);
		expect(property.filter(l => l.optedOut).map(l => l.id)).toEqual([page.items[0].id]);
		const lead = property.find(l => !l.optedOut)!;
		expect(Object.keys(lead).sort()).toEqual(['deviceId', 'id', 'name', 'niches', 'notes', 'optedOut', 'phone', 'targetStatus', 'triggers']);
		expect(lead).toMatchObject({ niches: ['Property', 'VIP'], notes: null, optedOut: false });
		expect([devices['One'], devices['Two']]).toContain(lead.deviceId);

		expect((await recipients({ userId: user.id, niche: 'vip', targetStatus: 'customer' })).leads).toHaveLength(25);
		expect((await recipients({ userId: user.id, niche: null, targetStatus: 'prospect' })).leads).toHaveLength(125);
		expect((await recipients({ userId: user.id, niche: '', targetStatus: 'all', limit: 10 })).leads).toHaveLength(10);
		expect((await recipients({ userId: user.id, niche: 'Boats', targetStatus: 'all' })).leads).toEqual([]);
	});

	it('refuses bad parameters and is not reachable over HTTP', async () => {
		const { client, user } = await tenantWithDevices(bed.node.url, []);
		await expect(recipients({ userId: user.id, targetStatus: 'vip' as never })).rejects.toMatchObject({ name: 'ValidationError' });
		await expect(recipients({ userId: user.id, targetStatus: 'all', limit: 20_001 })).rejects.toMatchObject({ name: 'ValidationError' });
		await expect(recipients({ userId: 'nope', targetStatus: 'all' })).rejects.toMatchObject({ name: 'ValidationError' });
		// The path falls through to GET /api/leads/:id, which finds no lead called "recipients".
		const overHttp = await client.get('/api/leads/recipients');
		expect(overHttp.status).toBe(400);
		expect(overHttp.body.error.fields).toEqual([{ field: 'id', message: 'No such lead.' }]);
	});
});

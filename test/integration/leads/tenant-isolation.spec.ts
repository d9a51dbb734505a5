import { describe, expect, it } from 'vitest';
import { Client, LiveSocket } from '../../helpers/http.ts';
import { importCsv, leadsTestbed, tenantWithDevices } from '../../helpers/leads.ts';

describe("another user can't see, change, export or hear about a lead", () => {
	const bed = leadsTestbed('pglite');

	it("gets 404 for every route of Alice's lead, none of her leads in lists or files, and none of her events", async () => {
		const alice = await tenantWithDevices(bed.node.url, ['Alice device']);
		const bob = await tenantWithDevices(bed.node.url, ['Bob device']);
		const bobSocket = await LiveSocket.open(bed.node.url, { cookie: bob.client.cookie! });
		await bobSocket.next(f => f.type === 'hello');
		const aliceSocket = await LiveSocket.open(bed.node.url, { cookie: alice.client.cookie! });
		await aliceSocket.next(f => f.type === 'hello');

		const { body: lead } = await alice.client.post('/api/leads', { deviceId: alice.devices['Alice device'], name: 'Alice lead', phone: '0123456789', niches: ['Secret'] });
		await alice.client.patch(`/api/leads/${lead.id}`, { name: 'Alice lead 2' });
		await importCsv(alice.client, 'phone,device\n0132223333,Alice device\n');
		const { body: key } = await alice.client.post('/api/leads/webhook-key');
		await new Client(bed.node.url).post(key.path, { phone: '0144444444', device: 'Alice device' });
		await aliceSocket.next(f => f.type === 'lead.imported');

		const attempts = [
			bob.client.get(`/api/leads/${lead.id}`),
			bob.client.patch(`/api/leads/${lead.id}`, { name: 'Mine now' }),
			bob.client.patch(`/api/leads/${lead.id}`, { optedOut: true }),
			bob.client.delete(`/api/leads/${lead.id}`),
		];
		for (const result of await Promise.all(attempts)) expect(result.status).toBe(404);
		// Bob cannot file a lead under Alice's device, by id or by name.
		const onHerDevice = await bob.client.post('/api/leads', { deviceId: alice.devices['Alice device'], phone: '0155555555' });
		expect(onHerDevice.status).toBe(400);
		expect(onHerDevice.body.error.fields[0].field).toBe('deviceId');
		const imported = await importCsv(bob.client, `phone,device\n0123456789,${alice.devices['Alice device']}\n0123456789,Alice device\n`);
		expect(imported.body).toMatchObject({ created: 0, rejected: 2 });
		expect((await bob.client.get(`/api/leads?device=${alice.devices['Alice device']}`)).body).toEqual({ items: [], total: 0 });
		expect((await bob.client.get('/api/leads?niche=Secret')).body.total).toBe(0);
		expect((await bob.client.get('/api/leads/export')).body).toBe('name,phone,niche,target_status,triggers,device,notes\r\n');
		expect((await bob.client.get('/api/leads/webhook-key')).body.exists).toBe(false);
		expect((await alice.client.get(`/api/leads/${lead.id}`)).body).toMatchObject({ name: 'Alice lead 2', optedOut: false });

		// Bob hears his own (refused) import and his own new lead, and nothing of Alice's before them.
		await bob.client.post('/api/leads', { deviceId: bob.devices['Bob device'], phone: '0123456789' });
		await bobSocket.next(f => f.type === 'lead.created');
		expect(bobSocket.frames.map(f => f.type)).toEqual(['hello', 'lead.import-progress', 'lead.imported', 'lead.created']);
		expect(bobSocket.frames.filter(f => f.type.startsWith('lead.')).every(f => f.payload.userId === bob.user.id)).toBe(true);
		expect(JSON.stringify(bobSocket.frames)).not.toContain(lead.id);
		bobSocket.close();
		aliceSocket.close();
	});

	it('without a session every leads route answers 401', async () => {
		const anonymous = new Client(bed.node.url);
		for (const [method, path] of [['GET', '/api/leads'], ['POST', '/api/leads'], ['GET', '/api/leads/export'], ['POST', '/api/leads/webhook-key'], ['GET', `/api/leads/${crypto.randomUUID()}`]]) {
			expect((await anonymous.request(method, path)).status, path).toBe(401);
		}
		expect((await anonymous.request('POST', '/api/leads/import', 'phone,device\n1,2', { 'content-type': 'text/csv' })).status).toBe(401);
	});
});

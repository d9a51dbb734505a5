import { describe, expect, it } from 'vitest';
import { databaseTargets } from '../../helpers/databases.ts';
import { leadsTestbed, tenantWithDevices } from '../../helpers/leads.ts';

describe.each(await databaseTargets())('a user keeps leads by hand: add, find, page, edit, delete (%s)', target => {
	const bed = leadsTestbed(target);

	it('adds a lead with a local number, normalised to E.164 with its tags as sets', async () => {
		const { client, devices } = await tenantWithDevices(bed.node.url, ['Sales 1']);
		const res = await client.post('/api/leads', {
			deviceId: devices['Sales 1'],
			name: '  Siti Aminah ',
			phone: '012-345 6789',
			niches: ['Property', 'property', ' Loans ', ''],
			targetStatus: 'customer',
			triggers: ['welcome', 'welcome', 'promo_day2'],
			notes: 'Met at the fair',
		});
		expect(res.status).toBe(201);
		expect(res.body).toEqual({
			id: expect.any(String),
			deviceId: devices['Sales 1'],
			name: 'Siti Aminah',
			phone: '+60123456789',
			niches: ['Property', 'Loans'],
			targetStatus: 'customer',
			triggers: ['welcome', 'promo_day2'],
			notes: 'Met at the fair',
			optedOut: false,
			optedOutAt: null,
			createdAt: expect.any(String),
			updatedAt: expect.any(String),
		});
		expect((await client.get(`/api/leads/${res.body.id}`)).body).toEqual(res.body);
		const minimal = await client.post('/api/leads', { deviceId: devices['Sales 1'], phone: '+65 8123 4567' });
		expect(minimal.body).toMatchObject({ name: '', phone: '+6581234567', niches: [], targetStatus: 'prospect', triggers: [], notes: null });
	});

	it('refuses bad input field by field with the reason, and a second lead with the same device and phone', async () => {
		const { client, devices } = await tenantWithDevices(bed.node.url, ['D']);
		const deviceId = devices['D'];
		const bad = async (body: object) => {
			const res = await client.post('/api/leads', body);
			expect(res.status, JSON.stringify(body)).toBe(400);
			expect(res.body.error.code).toBe('VALIDATION_ERROR');
			return res.body.error.fields as { field: string; message: string }[];
		};
		expect(await bad({ deviceId, phone: '123' })).toEqual([{ field: 'phone', message: '"123" is too short for Malaysia.' }]);
		expect((await bad({ deviceId, phone: 'call me' }))[0].message).toMatch(/not a phone number/);
		expect((await bad({ deviceId, phone: '+60 12 345 6789 0123 4567' }))[0].message).toMatch(/too long/);
		expect((await bad({ deviceId, phone: '+60 90 123 4567' }))[0].message).toMatch(/not a valid number for Malaysia/);
		expect((await bad({ deviceId: crypto.randomUUID(), phone: '0123456789' }))).toEqual([{ field: 'deviceId', message: expect.stringMatching(/no device/) }]);
		expect((await bad({ deviceId, phone: '0123456789', targetStatus: 'vip' })).map(f => f.field)).toEqual(['targetStatus']);
		expect((await bad({ phone: '' })).map(f => f.field).sort()).toEqual(['deviceId', 'phone']);
		expect((await bad({ deviceId, phone: '0123456789', niches: 'a;b' })).map(f => f.field)).toEqual(['niches']);
		expect((await bad({ deviceId, phone: '0123456789', owner: 'me' })).length).toBe(1);

		expect((await client.post('/api/leads', { deviceId, phone: '0123456789' })).status).toBe(201);
		const again = await client.post('/api/leads', { deviceId, phone: '+60 12-345 6789' });
		expect(again.status).toBe(409);
		expect(again.body.error.code).toBe('LEAD_EXISTS');
		expect((await client.get('/api/leads')).body.total).toBe(1);
	});

	it('without a default country, a number needs its country code', async () => {
		const { client, devices } = await tenantWithDevices(bed.node.url, ['D'], null);
		const res = await client.post('/api/leads', { deviceId: devices['D'], phone: '012-345 6789' });
		expect(res.status).toBe(400);
		expect(res.body.error.fields[0]).toEqual({ field: 'phone', message: expect.stringMatching(/no country code.*default country in Settings/) });
		expect((await client.post('/api/leads', { deviceId: devices['D'], phone: '+60 12-345 6789' })).status).toBe(201);
	});

	it('filters by device, niche (any case), target status, opt-out and search, and pages newest first', async () => {
		const { client, devices } = await tenantWithDevices(bed.node.url, ['A', 'B']);
		const add = (device: string, i: number, extra: object = {}) =>
			client.post('/api/leads', { deviceId: devices[device], phone: `+6012300${String(i).padStart(4, '0')}`, name: `Lead ${i}`, ...extra });
		for (let i = 0; i < 12; i++) await add(i % 2 ? 'B' : 'A', i, { niches: i % 3 === 0 ? ['Property'] : ['Cars'], targetStatus: i < 4 ? 'customer' : 'prospect' });
		const special = await add('A', 99, { name: 'Nur 100%_sure' });
		await client.patch(`/api/leads/${special.body.id}`, { optedOut: true });

		const list = async (query: string) => (await client.get(`/api/leads?${query}`)).body as { items: { name: string }[]; total: number };
		expect((await list('')).total).toBe(13);
		expect((await list(`device=${devices['B']}`)).total).toBe(6);
		expect((await list('niche=PROPERTY')).total).toBe(4);
		expect((await list('targetStatus=customer')).total).toBe(4);
		expect((await list('optedOut=true')).items.map(l => l.name)).toEqual(['Nur 100%_sure']);
		expect((await list('optedOut=false')).total).toBe(12);
		expect((await list('q=lead 1')).items.map(l => l.name).sort()).toEqual(['Lead 1', 'Lead 10', 'Lead 11']);
		expect((await list('q=100%_')).items.map(l => l.name)).toEqual(['Nur 100%_sure']);
		expect((await list('q=0099')).items.map(l => l.name)).toEqual(['Nur 100%_sure']);
		expect((await list(`device=${devices['A']}&niche=cars&targetStatus=prospect`)).total).toBe(3);

		const page1 = await list('page=1&pageSize=5');
		const page3 = await list('page=3&pageSize=5');
		expect(page1.total).toBe(13);
		expect(page1.items.map(l => l.name)).toEqual(['Nur 100%_sure', 'Lead 11', 'Lead 10', 'Lead 9', 'Lead 8']);
		expect(page3.items.map(l => l.name)).toEqual(['Lead 2', 'Lead 1', 'Lead 0']);
		expect((await list('limit=2&offset=1')).items.map(l => l.name)).toEqual(['Lead 11', 'Lead 10']);

		for (const query of ['pageSize=0', 'pageSize=501', 'page=0', 'device=nope', 'targetStatus=vip', 'optedOut=maybe', 'colour=red']) {
			const res = await client.get(`/api/leads?${query}`);
			expect(res.status, query).toBe(400);
			expect(res.body.error.fields.length, query).toBeGreaterThan(0);
		}
	});

	it('edits fields (tag lists replaced, notes cleared with null), opts out by hand, and deletes', async () => {
		const { client, devices } = await tenantWithDevices(bed.node.url, ['A', 'B']);
		const { body: lead } = await client.post('/api/leads', { deviceId: devices['A'], phone: '0123456789', niches: ['x'], notes: 'n' });
		const other = await client.post('/api/leads', { deviceId: devices['B'], phone: '0123456780' });

		const edited = await client.patch(`/api/leads/${lead.id}`, { name: 'Aminah', niches: ['Cars'], notes: null, deviceId: devices['B'] });
		expect(edited.status).toBe(200);
		expect(edited.body).toMatchObject({ name: 'Aminah', niches: ['Cars'], notes: null, deviceId: devices['B'], phone: '+60123456789' });
		const optedOut = await client.patch(`/api/leads/${lead.id}`, { optedOut: true });
		expect(optedOut.body).toMatchObject({ optedOut: true, optedOutAt: expect.any(String), name: 'Aminah' });
		expect((await client.patch(`/api/leads/${lead.id}`, { optedOut: false })).body).toMatchObject({ optedOut: false, optedOutAt: null });
		const clash = await client.patch(`/api/leads/${lead.id}`, { phone: other.body.phone });
		expect(clash.status).toBe(409);
		expect((await client.patch(`/api/leads/${lead.id}`, { phone: 'nope' })).status).toBe(400);
		expect((await client.get(`/api/leads/${lead.id}`)).body.phone).toBe('+60123456789');

		expect((await client.delete(`/api/leads/${lead.id}`)).status).toBe(204);
		expect((await client.get(`/api/leads/${lead.id}`)).status).toBe(404);
		expect((await client.delete(`/api/leads/${lead.id}`)).status).toBe(404);
		expect((await client.get('/api/leads')).body.total).toBe(1);
	});

	it("goes with its device when the device is deleted", async () => {
		const { client, devices } = await tenantWithDevices(bed.node.url, ['Gone', 'Kept']);
		await client.post('/api/leads', { deviceId: devices['Gone'], phone: '0123456789' });
		await client.post('/api/leads', { deviceId: devices['Kept'], phone: '0123456789' });
		expect((await client.get(`/api/devices/${devices['Gone']}`)).body.deleteRemoves).toMatchObject({ leads: 1 });
		expect((await client.delete(`/api/devices/${devices['Gone']}`)).status).toBe(204);
		const { body } = await client.get('/api/leads');
		expect(body.total).toBe(1);
		expect(body.items[0].deviceId).toBe(devices['Kept']);
	});
});

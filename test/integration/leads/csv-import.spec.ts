import { describe, expect, it } from 'vitest';
import { databaseTargets } from '../../helpers/databases.ts';
import { LiveSocket } from '../../helpers/http.ts';
import { importCsv, leadsTestbed, tenantWithDevices } from '../../helpers/leads.ts';

describe.each(await databaseTargets())('importing leads from a CSV file (%s)', target => {
	// Small batches, so a file of a few hundred rows shows several progress steps.
	const bed = leadsTestbed(target, { importBatchSize: 100 });

	it('imports good rows, reports each bad one with its line and reason, and merges duplicates', async () => {
		const { client, devices } = await tenantWithDevices(bed.node.url, ['Sales KL', 'Sales JB']);
		const csv = [
			'Phone,DEVICE,name,Niche,target_status,triggers,notes',
			'012-345 6789,Sales KL,Siti,Property;Loans,customer,welcome,first',
			`+60 13-222 3333,${devices['Sales JB']},Ahmad,Cars,,,`,
			'123,Sales KL,Too Short,,,,',
			'0123456780,Nowhere,Lost,,,,',
			'0123456781,Sales KL,Bad Status,,vip,,',
			'"012 345 6789",sales kl,Siti Aminah,property;Travel,,promo,"second, with a comma"',
			'',
			'0144444444,Sales JB,"Multi',
			'line name",,,,',
			'0155555555,Sales KL,Extra,,,,,too many',
		].join('\n');
		const res = await importCsv(client, csv);
		expect(res.status).toBe(200);
		expect(res.body).toMatchObject({ importId: expect.any(String), total: 8, created: 2, updated: 0, rejected: 5, merged: 1 });
		expect(res.body.rows).toEqual([
			{ row: 2, phone: '+60123456789', status: 'created' },
			{ row: 3, phone: '+60132223333', status: 'created' },
			{ row: 4, phone: '123', status: 'rejected', reason: '"123" is too short for Malaysia.' },
			{ row: 5, phone: '0123456780', status: 'rejected', reason: 'You have no device named or with the id "Nowhere".' },
			{ row: 6, phone: '0123456781', status: 'rejected', reason: '"vip" is not a target status: use prospect or customer.' },
			{ row: 7, phone: '+60123456789', status: 'created', reason: 'Same device and phone as row 2: merged into it.' },
			{ row: 9, phone: '0144444444', status: 'rejected', reason: '"0144444444" is not a valid number for Malaysia.' },
			{ row: 11, status: 'rejected', reason: 'This row has 8 cells; the header has 7.' },
		]);

		const { body } = await client.get('/api/leads');
		expect(body.total).toBe(2);
		const siti = body.items.find((l: { phone: string }) => l.phone === '+60123456789');
		// Sets united (first spelling kept), later non-empty cells win, empty cells keep the earlier value.
		expect(siti).toMatchObject({
			deviceId: devices['Sales KL'],
			name: 'Siti Aminah',
			niches: ['Property', 'Loans', 'Travel'],
			targetStatus: 'customer',
			triggers: ['welcome', 'promo'],
			notes: 'second, with a comma',
		});
		expect(body.items.find((l: { phone: string }) => l.phone === '+60132223333')).toMatchObject({ deviceId: devices['Sales JB'], niches: ['Cars'], targetStatus: 'prospect' });
	});

	it('updates stored leads on a second import: tags added, given fields replaced, opt-outs kept', async () => {
		const { client, devices } = await tenantWithDevices(bed.node.url, ['D']);
		const { body: lead } = await client.post('/api/leads', { deviceId: devices['D'], phone: '0123456789', name: 'Old', niches: ['A'], triggers: ['t1'] });
		await client.patch(`/api/leads/${lead.id}`, { optedOut: true });
		const res = await importCsv(client, 'device,phone,name,niche,triggers\nD,+60123456789,New,b;a,t2\nD,0123456790,Fresh,,\n');
		expect(res.body).toMatchObject({ created: 1, updated: 1, rejected: 0 });
		expect(res.body.rows.map((r: { status: string }) => r.status)).toEqual(['updated', 'created']);
		const updated = (await client.get(`/api/leads/${lead.id}`)).body;
		expect(updated).toMatchObject({ name: 'New', niches: ['A', 'b'], triggers: ['t1', 't2'], optedOut: true });
		// The same file again changes nothing and says so row by row.
		const again = await importCsv(client, 'device,phone,name,niche,triggers\nD,+60123456789,New,b;a,t2\nD,0123456790,Fresh,,\n');
		expect(again.body).toMatchObject({ created: 0, updated: 2, rejected: 0 });
		expect((await client.get(`/api/leads/${lead.id}`)).body.updatedAt).toBe(updated.updatedAt);
		expect((await client.get('/api/leads')).body.total).toBe(2);
	});

	it('refuses a file it cannot read as leads with a clear 400, and writes nothing', async () => {
		const { client } = await tenantWithDevices(bed.node.url, ['D']);
		const cases: [string, RegExp][] = [
			['', /empty/],
			['\n  \n', /empty/],
			['phone,device\n', /header but no leads/],
			['phone,device,email\n0123456789,D,a@b.c\n', /Unknown column "email".*name, phone, niche, target_status, triggers, device, notes/],
			['name,device\nA,D\n', /needs the column phone/],
			['phone,device,phone\n1,D,2\n', /"phone" appears twice/],
		];
		for (const [csv, message] of cases) {
			const res = await importCsv(client, csv);
			expect(res.status, csv).toBe(400);
			expect(res.body.error.code).toBe('VALIDATION_ERROR');
			expect(res.body.error.fields).toEqual([{ field: 'csv', message: expect.stringMatching(message) }]);
		}
		const json = await client.post('/api/leads/import', { csv: 'phone,device\n0123456789,D' });
		expect(json.status).toBe(415);
		expect((await client.get('/api/leads')).body.total).toBe(0);
	});

	it('tells the open tabs how far a large import has got, then that it is done', async () => {
		const { client, devices } = await tenantWithDevices(bed.node.url, ['Bulk']);
		const socket = await LiveSocket.open(bed.node.url, { cookie: client.cookie! });
		await socket.next(f => f.type === 'hello');
		const lines = ['name,phone,device'];
		for (let i = 0; i < 450; i++) lines.push(`Lead ${i},+6012${String(3_000_000 + i)},${devices['Bulk']}`);
		const res = await importCsv(client, lines.join('\r\n'), '?importId=bulk-1');
		expect(res.body).toMatchObject({ importId: 'bulk-1', total: 450, created: 450, rejected: 0 });

		const done = await socket.next(f => f.type === 'lead.imported');
		expect(done.payload).toMatchObject({ importId: 'bulk-1', total: 450, created: 450, updated: 0, rejected: 0, merged: 0 });
		const progress = socket.frames.filter(f => f.type === 'lead.import-progress').map(f => f.payload);
		expect(progress.map(p => p.processed)).toEqual([100, 200, 300, 400, 450]);
		expect(progress.every(p => p.total === 450 && p.importId === 'bulk-1')).toBe(true);
		expect((await client.get('/api/leads?pageSize=1')).body.total).toBe(450);
		socket.close();
	});
	it('spreads a file without a device column over the numbers in turn, when asked', async () => {
		const { client, devices } = await tenantWithDevices(bed.node.url, ['Sales KL', 'Sales JB']);
		const csv = ['name,phone,niche', 'A,0123000001,spread', 'B,0123000002,spread', 'C,0123000003,spread', 'D,0123000004,spread', 'E,0123000005,spread'].join('\n');
		// Without the option, the device column is still required.
		expect((await importCsv(client, csv)).status).toBe(400);
		const res = await client.request('POST', '/api/leads/import?spread=true', csv, { 'content-type': 'text/csv' });
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		expect(res.body).toMatchObject({ created: 5, rejected: 0 });
		const { body } = await client.get('/api/leads?niche=spread');
		const byDevice = (name: string) => body.items.filter((l: { deviceId: string }) => l.deviceId === devices[name]).map((l: { name: string }) => l.name).sort();
		// In the order of the numbers' names: Sales JB, then Sales KL.
		expect(byDevice('Sales JB')).toEqual(['A', 'C', 'E']);
		expect(byDevice('Sales KL')).toEqual(['B', 'D']);
		const { client: empty } = await tenantWithDevices(bed.node.url, []);
		const refused = await empty.request('POST', '/api/leads/import?spread=true', csv, { 'content-type': 'text/csv' });
		expect(refused.status).toBe(400);
		expect(refused.body.error.fields).toEqual([{ field: 'spread', message: 'Add a number first: the rows are spread over your numbers.' }]);
	});
});

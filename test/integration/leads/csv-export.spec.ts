import { describe, expect, it } from 'vitest';
import { databaseTargets } from '../../helpers/databases.ts';
import { importCsv, leadsTestbed, tenantWithDevices } from '../../helpers/leads.ts';

describe.each(await databaseTargets())('exporting leads as CSV and reading the file back in (%s)', target => {
	const bed = leadsTestbed(target);

	it('downloads the filtered leads in the import format, with formula-like cells defused', async () => {
		const { client, devices } = await tenantWithDevices(bed.node.url, ['KL', 'JB']);
		await client.post('/api/leads', {
			deviceId: devices['KL'],
			name: '=HYPERLINK("http://evil.example","click")',
			phone: '0123456789',
			niches: ['@risk', 'Property'],
			triggers: ['-x'],
			notes: 'line one\nline "two", with comma',
			targetStatus: 'customer',
		});
		await client.post('/api/leads', { deviceId: devices['JB'], name: 'Plain', phone: '0132223333' });

		const res = await fetch(`${bed.node.url}/api/leads/export?device=${devices['KL']}`, { headers: { cookie: client.cookie! } });
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
		expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="leads-\d{4}-\d{2}-\d{2}\.csv"$/);
		const text = await res.text();
		expect(text.split('\r\n')).toEqual([
			'name,phone,niche,target_status,triggers,device,notes',
			`"'=HYPERLINK(""http://evil.example"",""click"")",'+60123456789,'@risk;Property,customer,'-x,KL,"line one\nline ""two"", with comma"`,
			'',
		]);
		const all = await (await fetch(`${bed.node.url}/api/leads/export`, { headers: { cookie: client.cookie! } })).text();
		expect(all.trim().split('\r\n')).toHaveLength(3);
	});

	it('round-trips: the exported file imports into another account unchanged', async () => {
		const source = await tenantWithDevices(bed.node.url, ['Sales', 'Support']);
		await source.client.post('/api/leads', { deviceId: source.devices['Sales'], name: '+Plus Name', phone: '+65 8123 4567', niches: ['A', 'b'], triggers: ['t'], notes: 'n' });
		await source.client.post('/api/leads', { deviceId: source.devices['Support'], name: 'Ali', phone: '0123456789', targetStatus: 'customer' });
		const file = await source.client.get('/api/leads/export');

		const copy = await tenantWithDevices(bed.node.url, ['Sales', 'Support']);
		const imported = await importCsv(copy.client, file.body);
		expect(imported.body).toMatchObject({ created: 2, rejected: 0 });
		const strip = (items: Record<string, unknown>[]) =>
			items.map(({ id: _i, deviceId: _d, createdAt: _c, updatedAt: _u, ...rest }) => rest).sort((a, b) => String(a.phone).localeCompare(String(b.phone)));
		const before = (await source.client.get('/api/leads')).body.items;
		const after = (await copy.client.get('/api/leads')).body.items;
		expect(strip(after)).toEqual(strip(before));
		expect(after.find((l: { name: string }) => l.name === 'Ali').deviceId).toBe(copy.devices['Support']);
		// Importing it back into the source changes nothing.
		expect((await importCsv(source.client, file.body)).body).toMatchObject({ created: 0, updated: 2, rejected: 0 });
		expect(strip((await source.client.get('/api/leads')).body.items)).toEqual(strip(before));
	});

	it('names a device by id when two devices share its name, so the file still finds it', async () => {
		const { client, devices } = await tenantWithDevices(bed.node.url, ['Twin']);
		const second = await client.post('/api/devices', { name: 'Twin' });
		await client.post('/api/leads', { deviceId: second.body.id, phone: '0123456789' });
		await client.post('/api/leads', { deviceId: devices['Twin'], phone: '0123456789' });
		const text = (await client.get('/api/leads/export')).body as string;
		expect(text).toContain(`,${second.body.id},`);
		expect(text).toContain(`,${devices['Twin']},`);
		const byName = await importCsv(client, 'phone,device\n0123456700,Twin\n');
		expect(byName.body.rows[0]).toMatchObject({ status: 'rejected', reason: '2 of your devices are named "Twin": use the device id instead.' });
	});
});

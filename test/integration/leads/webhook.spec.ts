import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { databaseTargets } from '../../helpers/databases.ts';
import { Client, LiveSocket } from '../../helpers/http.ts';
import { leadsTestbed, tenantWithDevices } from '../../helpers/leads.ts';

describe.each(await databaseTargets())('leads pushed by another system through the webhook (%s)', target => {
	const bed = leadsTestbed(target, { webhookMaxPerMinute: 20 });

	it('shows the key once, stores only its hash, and a rotation retires the old key at once', async () => {
		const { client } = await tenantWithDevices(bed.node.url, ['Web']);
		expect((await client.get('/api/leads/webhook-key')).body).toEqual({ exists: false, createdAt: null });
		const made = await client.post('/api/leads/webhook-key');
		expect(made.status).toBe(201);
		expect(made.body).toEqual({ key: expect.stringMatching(/^fcl_[\w-]{43}$/), path: `/api/webhooks/leads/${made.body.key}`, createdAt: expect.any(String) });
		expect((await client.get('/api/leads/webhook-key')).body).toEqual({ exists: true, createdAt: made.body.createdAt });

		if (bed.db.databaseUrl) {
			const db = new pg.Client({ connectionString: bed.db.databaseUrl });
			await db.connect();
			const { rows } = await db.query('select key_hash from lead_webhook_keys');
			await db.end();
			expect(rows.map(r => r.key_hash)).not.toContain(made.body.key);
			expect(JSON.stringify(rows)).not.toContain(made.body.key.slice(4));
		}

		const anonymous = new Client(bed.node.url);
		const lead = { phone: '0123456789', device: 'Web' };
		expect((await anonymous.post(made.body.path, lead)).status).toBe(200);
		const rotated = await client.post('/api/leads/webhook-key');
		expect(rotated.body.key).not.toBe(made.body.key);
		expect((await anonymous.post(made.body.path, lead)).status).toBe(404);
		expect((await anonymous.post(rotated.body.path, lead)).status).toBe(200);
		expect((await client.delete('/api/leads/webhook-key')).status).toBe(204);
		expect((await anonymous.post(rotated.body.path, lead)).status).toBe(404);
	});

	it('creates a lead, then updates it by device and phone; the same body twice answers the same and leaves one lead', async () => {
		const { client, devices } = await tenantWithDevices(bed.node.url, ['Form', 'Other']);
		const socket = await LiveSocket.open(bed.node.url, { cookie: client.cookie! });
		await socket.next(f => f.type === 'hello');
		const { body: key } = await client.post('/api/leads/webhook-key');
		const hook = new Client(bed.node.url);
		const body = { name: 'Webform Lead', phone: '+60 12-345 6789', niche: 'Property;Loans', targetStatus: 'prospect', triggers: ['welcome'], device: 'Form', notes: 'from the site' };

		const first = await hook.post(key.path, body);
		expect(first.status).toBe(200);
		expect(first.body).toMatchObject({ deviceId: devices['Form'], phone: '+60123456789', name: 'Webform Lead', niches: ['Property', 'Loans'], triggers: ['welcome'] });
		const created = await socket.next(f => f.type === 'lead.created');
		expect(created.payload.lead).toEqual(first.body);

		const second = await hook.post(key.path, body);
		expect(second.status).toBe(200);
		expect(second.body).toEqual(first.body);
		expect((await client.get('/api/leads')).body.total).toBe(1);

		const update = await hook.post(key.path, { phone: '0123456789', device: devices['Form'], niches: ['Cars'], targetStatus: 'customer' });
		expect(update.body).toMatchObject({ id: first.body.id, name: 'Webform Lead', niches: ['Property', 'Loans', 'Cars'], targetStatus: 'customer', notes: 'from the site' });
		const updated = await socket.next(f => f.type === 'lead.updated');
		expect(updated.payload.lead).toEqual(update.body);
		// Only the first post and the change were announced; the repeat was not.
		expect(socket.frames.filter(f => f.type.startsWith('lead.')).map(f => f.type)).toEqual(['lead.created', 'lead.updated']);

		const otherDevice = await hook.post(key.path, { phone: '0123456789', device: 'Other' });
		expect(otherDevice.body.id).not.toBe(first.body.id);
		expect((await client.get('/api/leads')).body.total).toBe(2);
		socket.close();
	});

	it('refuses a bad body field by field, and a wrong key with a bare 404', async () => {
		const { client } = await tenantWithDevices(bed.node.url, ['Form']);
		const { body: key } = await client.post('/api/leads/webhook-key');
		const hook = new Client(bed.node.url);
		const fields = async (body: object) => {
			const res = await hook.post(key.path, body);
			expect(res.status, JSON.stringify(body)).toBe(400);
			return res.body.error.fields.map((f: { field: string }) => f.field).sort();
		};
		expect(await fields({ device: 'Form' })).toEqual(['phone']);
		expect(await fields({ phone: '0123456789' })).toEqual(['device']);
		expect(await fields({ phone: '12', device: 'Nope' })).toEqual(['device', 'phone']);
		expect(await fields({ phone: '0123456789', device: 'Form', targetStatus: 'maybe' })).toEqual(['targetStatus']);
		expect(await fields({ phone: '0123456789', device: 'Form', isAdmin: true })).toHaveLength(1);
		expect((await hook.request('POST', key.path, 'phone=1', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
		expect((await client.get('/api/leads')).body.total).toBe(0);

		for (const path of ['/api/webhooks/leads/fcl_wrong', `/api/webhooks/leads/${key.key.slice(0, -1)}x`]) {
			const wrong = await hook.post(path, { phone: '0123456789', device: 'Form' });
			expect(wrong.status).toBe(404);
			expect(wrong.body).toEqual({ error: { code: 'NOT_FOUND', message: 'No such webhook.' } });
		}
	});

	it('rate-limits calls per key with 429 and Retry-After', async () => {
		const { client } = await tenantWithDevices(bed.node.url, ['Form']);
		const { body: key } = await client.post('/api/leads/webhook-key');
		const hook = new Client(bed.node.url);
		const statuses: number[] = [];
		for (let i = 0; i < 22; i++) statuses.push((await hook.post(key.path, { phone: `+6012345${String(6700 + i)}`, device: 'Form' })).status);
		expect(statuses.slice(0, 20).every(s => s === 200)).toBe(true);
		expect(statuses.slice(20)).toEqual([429, 429]);
		const limited = await hook.post(key.path, { phone: '0123456789', device: 'Form' });
		expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
		expect((await client.get('/api/leads')).body.total).toBe(20);
	});
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asSchema } from '../../../mixins/service-schema.ts';
import CampaignsService from '../../../services/campaigns/campaigns.service.ts';
import MessagesService from '../../../services/messages/messages.service.ts';
import { pgliteDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { Client } from '../../helpers/http.ts';
import { importCsv, LEAD_NODE_SERVICES } from '../../helpers/leads.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

const NUL = '\u0000';

describe('bad input is refused at the edge with a field error, and loses nothing else', () => {
	let db: TestDatabase;
	let node: TestNode;
	let client: Client;
	let deviceId: string;

	beforeAll(async () => {
		db = pgliteDatabase();
		node = await startNode({ db, services: [...LEAD_NODE_SERVICES, ...[MessagesService, CampaignsService].map(asSchema)] });
		client = new Client(node.url);
		await client.register();
		await client.patch('/api/me/settings', { country: 'MY' });
		({ body: { id: deviceId } } = await client.post('/api/devices', { name: 'Shop' }));
	});
	afterAll(async () => {
		await node?.stop();
		await db?.drop();
	});

	it('answers a NUL character in any text with 400 and the field it is in, never 500', async () => {
		const webhook = (await client.post('/api/leads/webhook-key')).body.path as string;
		const cases: [string, Promise<{ status: number; body: any }>, string][] = [
			['device name', client.post('/api/devices', { name: `Shop${NUL}` }), 'name'],
			['lead notes', client.post('/api/leads', { deviceId, phone: '+60123456789', notes: `a${NUL}b` }), 'notes'],
			['lead niche', client.post('/api/leads', { deviceId, phone: '+60123456789', niches: ['ok', `b${NUL}d`] }), 'niches[1]'],
			['campaign message', client.post('/api/campaigns', { title: 'T', scheduledAt: new Date().toISOString(), message: `Hi${NUL}` }), 'message'],
			['greeting', client.patch('/api/me/settings', { greetings: { en: [{ fromHour: 0, text: `Hi${NUL}` }] } }), 'greetings.en[0].text'],
			['search', client.get(`/api/leads?q=${encodeURIComponent(`x${NUL}`)}`), 'q'],
			['webhook', client.post(webhook, { phone: '+60123456789', device: 'Shop', name: `N${NUL}` }), 'name'],
		];
		for (const [what, answer, field] of cases) {
			const { status, body } = await answer;
			expect([what, status, body.error?.fields]).toEqual([what, 400, [{ field, message: 'Remove the invisible NUL character (\\u0000) from this text.' }]]);
		}
		expect((await client.get('/api/leads')).body.total).toBe(0);
	});

	it('rejects the one CSV row with a NUL character and keeps the others', async () => {
		const csv = ['device,name,phone,notes', 'Shop,Aisha,+60123450001,fine', `Shop,Badrul,+60123450002,bad${NUL}cell`, 'Shop,Chen,+60123450003,fine'].join('\n');
		const { status, body } = await importCsv(client, csv);
		expect(status).toBe(200);
		expect(body).toMatchObject({ created: 2, rejected: 1 });
		expect(body.rows.find((r: { status: string }) => r.status === 'rejected')).toMatchObject({ row: 3, reason: expect.stringMatching(/NUL character/) });
	});

	it('reads a CSV file in the character set it declares, or by its byte-order mark, and refuses one it cannot read', async () => {
		const latin1 = Buffer.from('device,name,phone\nShop,Jos\u00e9,+60123450011\n', 'latin1');
		expect((await client.request('POST', '/api/leads/import', latin1, { 'content-type': 'text/csv; charset=latin1' })).body.created).toBe(1);
		const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('device,name,phone\nShop,Zo\u00eb,+60123450012\n', 'utf16le')]);
		expect((await client.request('POST', '/api/leads/import', utf16, { 'content-type': 'text/csv' })).body.created).toBe(1);
		const names = (await client.get('/api/leads?q=%2B6012345001')).body.items.map((l: { name: string }) => l.name).sort();
		expect(names).toEqual(['Jos\u00e9', 'Zo\u00eb']);
		const unknown = await client.request('POST', '/api/leads/import', latin1, { 'content-type': 'text/csv; charset=klingon' });
		expect([unknown.status, unknown.body.error.code]).toEqual([415, 'UNSUPPORTED_CHARSET']);
	});

	it('answers huge page numbers and impossible or garbled dates with 400, never 500', async () => {
		for (const path of ['/api/leads?page=1e300', '/api/leads?offset=9999999999999999999999', '/api/campaigns?from=-271821-04-20T00:00:00Z', '/api/campaigns?from=garbage', '/api/campaigns?to=2031-13-01T00:00:00Z']) {
			const { status, body } = await client.get(path);
			expect([path, status, body.error?.code]).toEqual([path, 400, 'VALIDATION_ERROR']);
		}
		const impossible = await client.post('/api/campaigns', { title: 'Leap', scheduledAt: '2031-02-30T10:00:00Z', message: 'Hi' });
		expect([impossible.status, impossible.body.error.fields]).toEqual([400, [{ field: 'scheduledAt', message: expect.stringMatching(/real date/) }]]);
		const real = await client.post('/api/campaigns', { title: 'Leap', scheduledAt: '2032-02-29T10:00:00+08:00', message: 'Hi', draft: true });
		expect([real.status, real.body.scheduledAt]).toEqual([201, '2032-02-29T02:00:00.000Z']);
		expect((await client.get(`/api/campaigns/${real.body.id}/recipients?page=1e300`)).status).toBe(400);
	});

	it('takes a write’s fields from its body only, never from the address', async () => {
		const signIn = await fetch(`${node.url}/api/auth/login?email=a%40example.com&password=whatever-long`, { method: 'POST' });
		expect(signIn.status).toBe(400);
		expect((await signIn.json()).error.fields.map((f: { field: string }) => f.field).sort()).toEqual(['email', 'password']);
		const device = await client.request('POST', '/api/devices?name=Sneaky', undefined, {});
		expect(device.status).toBe(400);
		// A form elsewhere may add tracking to the webhook's address: it is left unread, the body counts.
		const webhook = (await client.post('/api/leads/webhook-key')).body.path as string;
		expect((await client.post(`${webhook}?utm_source=site&name=Sneaky`, { phone: '+60123459999', device: 'Shop', name: 'Webhook lead' })).status).toBeLessThan(300);
		expect((await client.get('/api/leads?q=Webhook')).body.items.map((l: { name: string }) => l.name)).toEqual(['Webhook lead']);
		expect((await client.get('/api/devices')).body.map((d: { name: string }) => d.name)).toEqual(['Shop']);
	});

	it('sends nosniff with API errors, a CSP that keeps sockets and forms at home, and a favicon', async () => {
		const missing = await fetch(`${node.url}/api/nothing-here`);
		expect(missing.headers.get('x-content-type-options')).toBe('nosniff');
		const page = await fetch(`${node.url}/`);
		const csp = page.headers.get('content-security-policy') ?? '';
		expect(csp).toMatch(/connect-src 'self';/);
		expect(csp).not.toMatch(/ws:|wss:/);
		expect(csp).toMatch(/base-uri 'none'/);
		expect(csp).toMatch(/form-action 'self'/);
		const icon = await fetch(`${node.url}/favicon.svg`);
		expect([icon.status, icon.headers.get('content-type')]).toEqual([200, 'image/svg+xml']);
	});
});

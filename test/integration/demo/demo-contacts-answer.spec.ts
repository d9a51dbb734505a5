import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { demoNode } from '../../helpers/demo.ts';
import { waitForDevice } from '../../helpers/devices.ts';
import { Client, LiveSocket } from '../../helpers/http.ts';
import { NO_PACING } from '../../helpers/campaigns.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

describe('in demo mode contacts write to a number when asked, and some answer its first message by themselves', () => {
	let db: TestDatabase;
	let node: TestNode;
	let client: Client;
	let stranger: Client;
	let deviceId: string;

	beforeAll(async () => {
		db = pgliteDatabase();
		const demo = demoNode(db);
		node = await startNode({ db, ...demo, settings: { ...demo.settings, demo: { ...demo.settings.demo, autoReplies: { readMs: 50, typingMs: 50 } } } });
		client = new Client(node.url);
		await client.register();
		stranger = new Client(node.url);
		await stranger.register();
		const { body: device } = await client.post('/api/devices', { name: 'Demo KL' });
		deviceId = device.id;
		expect((await client.patch(`/api/devices/${deviceId}`, { pacing: NO_PACING })).status).toBe(200);
		expect((await client.post(`/api/devices/${deviceId}/pair`, { method: 'qr' })).status).toBe(200);
		expect((await client.post(`/api/demo/devices/${deviceId}/link`)).status).toBe(200);
		await waitForDevice(client, deviceId, d => d.status === 'online', 30_000);
	});
	afterAll(async () => {
		await node?.stop();
		await db?.drop();
	});

	it('writes as a demo contact to one of the caller’s numbers, and refuses anything else clearly', async () => {
		const live = await LiveSocket.open(node.url, { cookie: client.cookie! });
		await live.next(f => f.type === 'hello');
		const { status } = await client.post('/api/demo/contacts/%2B60123450004/send', { deviceId, text: 'Hola, is it in stock?' });
		expect(status).toBe(200);
		const frame = await live.next(f => f.type === 'inbox.message' && f.payload.message.text === 'Hola, is it in stock?', 15_000);
		expect(frame.payload).toMatchObject({ deviceId, phone: '+60123450004' });
		live.close();

		const refused = async (who: Client, phone: string, body: object) => {
			const res = await who.post(`/api/demo/contacts/${phone}/send`, body);
			return [res.status, res.body.error?.fields?.[0]?.message ?? res.body.error?.message];
		};
		expect(await refused(client, '60129999999', { deviceId, text: 'hi' })).toEqual([404, 'No such demo contact.']);
		expect(await refused(client, '60123450004', { deviceId, text: '  ' })).toEqual([400, 'Write a message first.']);
		expect(await refused(client, '60123450004', { text: 'hi' })).toEqual([400, 'Choose the number to write to.']);
		// Another tenant cannot make a contact write to this number.
		expect(await refused(stranger, '60123450004', { deviceId, text: 'hi' })).toEqual([404, 'No such device.']);
	});

	it('Aisha thanks, Ben asks, Chen writes STOP and is opted out; each answers once', async () => {
		for (const [name, phone] of [['Aisha Rahman', '+60123450001'], ['Ben Carter', '+60123450002'], ['Chen Wei', '+60123450003']]) {
			expect((await client.post('/api/leads', { deviceId, phone, name, niches: ['demo'] })).status).toBe(201);
		}
		const campaign = await client.post('/api/campaigns', { title: 'Hello', scheduledAt: new Date().toISOString(), niche: 'demo', targetStatus: 'all', message: 'Hello {name}!', minDelaySeconds: 0, maxDelaySeconds: 0 });
		expect(campaign.status).toBe(201);
		const lastOf = async (phone: string) => (await client.get(`/api/devices/${deviceId}/chats/${phone}/messages`)).body.items?.at(-1)?.text;
		await expect.poll(() => lastOf('60123450001'), { timeout: 30_000 }).toBe('Thank you! 🙏');
		await expect.poll(() => lastOf('60123450002'), { timeout: 30_000 }).toMatch(/How much is it/);
		await expect.poll(() => lastOf('60123450003'), { timeout: 30_000 }).toBe('STOP');
		await expect.poll(async () => (await client.get(`/api/devices/${deviceId}/chats?q=Chen`)).body.items[0]?.optedOut, { timeout: 10_000 }).toBe(true);
		expect((await client.get(`/api/devices/${deviceId}/chats?q=Aisha`)).body.items[0]).toMatchObject({ name: 'Aisha Rahman', optedOut: false, unread: 1 });

		// A second message to Aisha gets no second thank-you.
		expect((await client.post(`/api/devices/${deviceId}/chats/60123450001/messages`, { text: 'You are welcome!' })).status).toBe(201);
		await expect.poll(() => lastOf('60123450001'), { timeout: 15_000 }).toBe('You are welcome!');
		await new Promise(resolve => setTimeout(resolve, 500));
		expect(await lastOf('60123450001')).toBe('You are welcome!');
	});
});

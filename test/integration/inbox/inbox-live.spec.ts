import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WhatsAppDouble, type Contact } from '../../../services/whatsapp-double/index.ts';
import { CAMPAIGN_NODE_SERVICES, FAST_CAMPAIGN_SETTINGS, NO_PACING, testImage } from '../../helpers/campaigns.ts';
import { postgresDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { linkDevice, testDeviceSettings } from '../../helpers/devices.ts';
import { Client, LiveSocket } from '../../helpers/http.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

describe("a number's inbox: contacts' messages arrive live, replies reach them, ticks and read state follow WhatsApp", () => {
	const double = new WhatsAppDouble();
	let db: TestDatabase;
	let node: TestNode;
	let client: Client;
	let stranger: Client;
	let live: LiveSocket;
	let strangerLive: LiveSocket;
	let device: { id: string; phone: string };
	let aisha: Contact;
	let ben: Contact;

	beforeAll(async () => {
		await double.start();
		db = await postgresDatabase();
		node = await startNode({
			db,
			services: CAMPAIGN_NODE_SERVICES,
			settings: { devices: testDeviceSettings(double.endpoint, { dispatchPollMs: 200 }), ...FAST_CAMPAIGN_SETTINGS, inbox: { messagesPerChat: 20 } },
		});
		client = new Client(node.url);
		await client.register();
		stranger = new Client(node.url);
		await stranger.register();
		const linked = await linkDevice(client, double, 'Sales');
		device = { id: linked.id, phone: linked.phone.phone };
		expect((await client.patch(`/api/devices/${device.id}`, { pacing: { ...NO_PACING, minDelaySeconds: 30, maxDelaySeconds: 30 } })).status).toBe(200);
		aisha = double.addContact({ name: 'Aisha', phone: '60123451000' });
		ben = double.addContact({ name: 'Ben', phone: '60123451001', addressing: 'pn' });
		live = await LiveSocket.open(node.url, { cookie: client.cookie! });
		strangerLive = await LiveSocket.open(node.url, { cookie: stranger.cookie! });
		await live.next(f => f.type === 'hello');
		await strangerLive.next(f => f.type === 'hello');
	});
	afterAll(async () => {
		live?.close();
		strangerLive?.close();
		await node?.stop();
		await db?.drop();
		await double.stop();
	});

	it('a text lands in its chat live, with an unread badge, named by the push name', async () => {
		await aisha.sendText(device.phone, 'Hi, is the blue one <b>still</b> in stock?');
		const message = await live.next(f => f.type === 'inbox.message' && f.payload.message.text.includes('blue one'), 15_000);
		expect(message.payload).toMatchObject({ deviceId: device.id, phone: '+60123451000', message: { fromMe: false, status: 'received', image: null } });
		const updated = await live.next(f => f.type === 'inbox.chat-updated' && f.payload.chat.phone === '+60123451000');
		expect(updated.payload).toMatchObject({ deviceUnread: 1, chat: { name: 'Aisha', unread: 1, lastMessage: { fromMe: false, status: 'received' } } });
		const { body } = await client.get(`/api/devices/${device.id}/chats`);
		expect(body.items).toHaveLength(1);
		expect(body.items[0]).toMatchObject({ phone: '+60123451000', name: 'Aisha', unread: 1, lastMessage: { text: 'Hi, is the blue one <b>still</b> in stock?', fromMe: false } });
		expect((await client.get('/api/inbox/unread')).body).toEqual({ total: 1, devices: { [device.id]: 1 } });
	});

	it('an image with its caption lands in the same chat, served to its owner only', async () => {
		const image = await testImage(640, 480);
		await aisha.sendImage(device.phone, { image, mimetype: 'image/png', caption: 'This one' });
		const frame = await live.next(f => f.type === 'inbox.message' && f.payload.message.text === 'This one', 20_000);
		const url = frame.payload.message.image.url as string;
		expect(url).toMatch(/^\/api\/media\/[0-9a-f-]{36}$/);
		const own = await fetch(`${node.url}${url}`, { headers: { cookie: client.cookie! } });
		expect(own.status).toBe(200);
		expect(own.headers.get('content-type')).toBe('image/jpeg');
		expect((await fetch(`${node.url}${url}`, { headers: { cookie: stranger.cookie! } })).status).toBe(404);
		const { body } = await client.get(`/api/devices/${device.id}/chats/60123451000/messages`);
		expect(body.items.map((m: { text: string }) => m.text)).toEqual(['Hi, is the blue one <b>still</b> in stock?', 'This one']);
		expect(body.chat.unread).toBe(2);
	});

	it('a message carrying a NUL character is stored without it and holds nothing back', async () => {
		await aisha.sendText(device.phone, 'odd\u0000client');
		await aisha.sendText(device.phone, 'sent after the odd one');
		await live.next(f => f.type === 'inbox.message' && f.payload.message.text === 'sent after the odd one', 15_000);
		expect(live.frames.some(f => f.type === 'inbox.message' && f.payload.message.text === 'oddclient')).toBe(true);
	});

	it('one contact is one chat whether WhatsApp addresses it by LID or by number', async () => {
		expect(aisha.addressing).toBe('lid');
		await ben.sendText(device.phone, 'Ben here, by number');
		await live.next(f => f.type === 'inbox.message' && f.payload.message.text === 'Ben here, by number', 15_000);
		// The same people, the other way round.
		aisha.addressing = 'pn';
		ben.addressing = 'lid';
		await aisha.sendText(device.phone, 'Aisha again');
		await ben.sendText(device.phone, 'Ben again');
		await live.next(f => f.type === 'inbox.message' && f.payload.message.text === 'Ben again', 15_000);
		await live.next(f => f.type === 'inbox.message' && f.payload.message.text === 'Aisha again', 15_000);
		const { body } = await client.get(`/api/devices/${device.id}/chats`);
		expect(body.items.map((c: { phone: string; unread: number }) => [c.phone, c.unread])).toEqual([
			['+60123451001', 2],
			['+60123451000', 5],
		]);
	});

	it('a reply goes ahead of a paced queue and reaches the contact; ticks follow sent → delivered → read', async () => {
		// A campaign holds the number for 30 s between its messages: the reply does not wait for that.
		const chen = double.addContact({ name: 'Chen', phone: '60123451002' });
		const dana = double.addContact({ name: 'Dana', phone: '60123451003' });
		for (const contact of [chen, dana]) expect((await client.post('/api/leads', { deviceId: device.id, phone: `+${contact.phone}`, name: contact.name, niches: ['promo'] })).status).toBe(201);
		const campaign = await client.post('/api/campaigns', {
			title: 'Promo',
			scheduledAt: new Date().toISOString(),
			niche: 'promo',
			targetStatus: 'all',
			message: 'Promo for {name}',
			minDelaySeconds: 30,
			maxDelaySeconds: 30,
		});
		expect(campaign.status, JSON.stringify(campaign.body)).toBe(201);
		await live.next(f => f.type === 'inbox.message' && f.payload.message.text.startsWith('Promo for') && f.payload.message.origin === 'campaign', 15_000);
		const campaignSends = () => chen.received().length + dana.received().length;
		expect(campaignSends()).toBe(1);
		const askedAt = Date.now();
		const { status, body: reply } = await client.post(`/api/devices/${device.id}/chats/%2B60123451000/messages`, { text: 'Yes! *Blue* is in stock.' });
		expect(status).toBe(201);
		expect(reply).toMatchObject({ fromMe: true, status: 'pending', origin: 'inbox', text: 'Yes! *Blue* is in stock.' });
		await aisha.waitForMessage(m => m.text === 'Yes! *Blue* is in stock.');
		expect(Date.now() - askedAt).toBeLessThan(10_000);
		expect(campaignSends()).toBe(1);
		await live.next(f => f.type === 'inbox.message-status' && f.payload.messageId === reply.id && f.payload.status === 'sent', 10_000);
		await live.next(f => f.type === 'inbox.message-status' && f.payload.messageId === reply.id && f.payload.status === 'delivered', 10_000);
		await aisha.markRead();
		await live.next(f => f.type === 'inbox.message-status' && f.payload.messageId === reply.id && f.payload.status === 'read', 10_000);
		const chat = (await client.get(`/api/devices/${device.id}/chats?q=Aisha`)).body.items[0];
		expect(chat.lastMessage).toMatchObject({ text: 'Yes! *Blue* is in stock.', fromMe: true, status: 'read' });
	});

	it('an image reply with a caption reaches the contact', async () => {
		const image = await testImage(300, 200);
		const upload = await fetch(`${node.url}/api/media`, { method: 'POST', body: new Uint8Array(image), headers: { 'content-type': 'image/png', cookie: client.cookie! } });
		const media = (await upload.json()) as { id: string };
		const { status, body } = await client.post(`/api/devices/${device.id}/chats/60123451000/messages`, { mediaId: media.id, caption: 'Here it is' });
		expect(status).toBe(201);
		expect(body.image).toEqual({ id: media.id, url: `/api/media/${media.id}` });
		const got = await aisha.waitForMessage(m => m.message.imageMessage?.caption === 'Here it is');
		expect(got.image?.bytes.length).toBeGreaterThan(0);
	});

	it('reading a chat clears its badge and sends the contact a read receipt', async () => {
		const before = double.events.list('receipt.sent').filter(e => e.receiptType === 'read').length;
		const { status, body } = await client.post(`/api/devices/${device.id}/chats/60123451000/read`);
		expect(status).toBe(200);
		expect(body).toMatchObject({ receipts: 'sent', chat: { unread: 0 } });
		await live.next(f => f.type === 'inbox.chat-updated' && f.payload.chat.phone === '+60123451000' && f.payload.chat.unread === 0 && f.payload.deviceUnread === 2);
		await expect.poll(() => double.events.list('receipt.sent').filter(e => e.receiptType === 'read').length, { timeout: 10_000 }).toBeGreaterThan(before);
		expect((await client.get('/api/inbox/unread')).body).toEqual({ total: 2, devices: { [device.id]: 2 } });
		// Nothing unread any more: nothing to send.
		expect((await client.post(`/api/devices/${device.id}/chats/60123451000/read`)).body.receipts).toBe('none');
	});

	it('a chat read while the number is offline sends its receipts when the number is back', async () => {
		const chen = double.contact('60123451002')!;
		await chen.sendText(device.phone, 'Got the promo, thanks');
		await live.next(f => f.type === 'inbox.message' && f.payload.message.text === 'Got the promo, thanks', 15_000);
		double.faults.ban(device.phone);
		await expect.poll(async () => (await client.get(`/api/devices/${device.id}`)).body.status, { timeout: 15_000 }).not.toBe('online');
		const readsBefore = () => double.events.list('receipt.sent').filter(e => e.receiptType === 'read').length;
		const before = readsBefore();
		const { body } = await client.post(`/api/devices/${device.id}/chats/60123451002/read`);
		expect(body).toMatchObject({ receipts: 'later', chat: { unread: 0 } });
		double.faults.unban(device.phone);
		expect((await client.post(`/api/devices/${device.id}/reconnect`)).status).toBeLessThan(300);
		await expect.poll(async () => (await client.get(`/api/devices/${device.id}`)).body.status, { timeout: 20_000 }).toBe('online');
		await expect.poll(readsBefore, { timeout: 15_000 }).toBeGreaterThan(before);
	});

	it('with read receipts turned off, reading a chat tells the contact nothing', async () => {
		expect((await client.patch('/api/me/settings', { readReceipts: false })).body.readReceipts).toBe(false);
		await ben.sendText(device.phone, 'Are you there?');
		await live.next(f => f.type === 'inbox.message' && f.payload.message.text === 'Are you there?', 15_000);
		const before = double.events.list('receipt.sent').filter(e => e.receiptType === 'read').length;
		const { body } = await client.post(`/api/devices/${device.id}/chats/60123451001/read`);
		expect(body).toMatchObject({ receipts: 'off', chat: { unread: 0 } });
		await new Promise(resolve => setTimeout(resolve, 500));
		expect(double.events.list('receipt.sent').filter(e => e.receiptType === 'read').length).toBe(before);
		expect((await client.patch('/api/me/settings', { readReceipts: true })).body.readReceipts).toBe(true);
	});

	it('search matches a name, a number and the text of a message', async () => {
		const search = async (q: string) => (await client.get(`/api/devices/${device.id}/chats?q=${encodeURIComponent(q)}`)).body.items.map((c: { name: string }) => c.name);
		expect(await search('ben')).toEqual(['Ben']);
		expect(await search('451000')).toEqual(['Aisha']);
		expect(await search('in stock')).toEqual(['Aisha']);
		expect(await search('100%')).toEqual([]);
	});

	it('keeps the newest messages of a chat and pages back through them', async () => {
		await ben.sendImage(device.phone, { image: await testImage(200, 150), mimetype: 'image/png', caption: 'old photo' });
		const photo = await live.next(f => f.type === 'inbox.message' && f.payload.message.text === 'old photo', 20_000);
		const photoUrl = `${node.url}${photo.payload.message.image.url}`;
		expect((await fetch(photoUrl, { headers: { cookie: client.cookie! } })).status).toBe(200);
		for (let i = 1; i <= 25; i++) await ben.sendText(device.phone, `count ${i}`);
		await live.next(f => f.type === 'inbox.message' && f.payload.message.text === 'count 25', 20_000);
		const all = async () => (await client.get(`/api/devices/${device.id}/chats/60123451001/messages?limit=100`)).body.items as { id: string; text: string }[];
		// Ben's earlier messages and the oldest counts go: 20 kept, and the photo no message shows any more is deleted.
		await expect.poll(async () => (await all()).length, { timeout: 10_000 }).toBe(20);
		const kept = await all();
		expect(kept.every(m => m.text.startsWith('count '))).toBe(true);
		await expect.poll(async () => (await fetch(photoUrl, { headers: { cookie: client.cookie! } })).status, { timeout: 5_000 }).toBe(404);
		// WhatsApp stamps messages to the second and Baileys may hand a burst over out of order:
		// within a second the inbox keeps the order they arrived in, and pages follow that order.
		const { body: newest } = await client.get(`/api/devices/${device.id}/chats/60123451001/messages?limit=5`);
		expect(newest.items.map((m: { id: string }) => m.id)).toEqual(kept.slice(15).map(m => m.id));
		expect(newest.hasMore).toBe(true);
		const { body: older } = await client.get(`/api/devices/${device.id}/chats/60123451001/messages?limit=5&before=${newest.items[0].id}`);
		expect(older.items.map((m: { id: string }) => m.id)).toEqual(kept.slice(10, 15).map(m => m.id));
		const { body: oldest } = await client.get(`/api/devices/${device.id}/chats/60123451001/messages?limit=10&before=${kept[10]!.id}`);
		expect(oldest).toMatchObject({ hasMore: false });
		expect(oldest.items.map((m: { id: string }) => m.id)).toEqual(kept.slice(0, 10).map(m => m.id));
		// Ben's chat was read before the counting began: the 25 new ones, of which 20 are kept, are unread.
		expect((await client.get(`/api/devices/${device.id}/chats`)).body.items[0]).toMatchObject({ phone: '+60123451001', unread: 20 });
		// A pruned message delivered again (a reconnect, a retry) does not come back.
		await node.broker.call('inbox.feed', {
			messages: [{ deviceId: device.id, waMessageId: 'REDELIVERED1', fromMe: false, phone: '+60123451001', lid: null, remoteJid: null, pushName: 'Ben', text: 'an old one again', mediaId: null, mediaError: null, at: new Date(Date.now() - 3_600_000).toISOString(), origin: null, outboxId: null }],
			receipts: [],
			read: [],
		});
		const after = await all();
		expect(after.length).toBe(20);
		expect(after.map(m => m.text)).not.toContain('an old one again');
	});

	it('another tenant gets 404 for every route and no event of this inbox', async () => {
		for (const [method, path, body] of [
			['GET', `/api/devices/${device.id}/chats`],
			['GET', `/api/devices/${device.id}/chats/60123451000/messages`],
			['POST', `/api/devices/${device.id}/chats/60123451000/messages`, { text: 'hi' }],
			['POST', `/api/devices/${device.id}/chats/60123451000/read`],
		] as const) {
			const res = await stranger.request(method, path, body);
			expect(res.status, `${method} ${path}`).toBe(404);
			expect(res.body.error.message).toBe('No such device.');
		}
		expect((await stranger.get('/api/inbox/unread')).body).toEqual({ total: 0, devices: {} });
		expect(strangerLive.frames.filter(f => String(f.type).startsWith('inbox.'))).toEqual([]);
	});

	it('refuses a bad reply with a clear reason and sends nothing', async () => {
		const sentBefore = double.events.list('message.sent').length;
		const cases: [unknown, number, string][] = [
			[{}, 400, 'Write a message first.'],
			[{ text: '   ' }, 400, 'Write a message first.'],
			[{ text: 'x'.repeat(4097) }, 400, 'WhatsApp takes at most 4096 characters.'],
			[{ caption: 'lonely caption' }, 400, 'A caption goes with an image (mediaId).'],
			[{ text: 'both', mediaId: crypto.randomUUID() }, 400, 'Send a text, or an image with a caption: not both.'],
			[{ mediaId: crypto.randomUUID() }, 400, 'No such image.'],
		];
		for (const [body, status, message] of cases) {
			const res = await client.post(`/api/devices/${device.id}/chats/60123451000/messages`, body);
			expect(res.status, JSON.stringify(body)).toBe(status);
			expect(JSON.stringify(res.body)).toContain(message);
		}
		expect((await client.post(`/api/devices/${device.id}/chats/60129999999/messages`, { text: 'hi' })).status).toBe(404);
		expect((await client.get(`/api/devices/${device.id}/chats/not-a-number/messages`)).status).toBe(404);
		expect(double.events.list('message.sent').length).toBe(sentBefore);
	});
});

import { describe, expect, it } from 'vitest';
import { LiveSocket } from '../../helpers/http.ts';
import { leadsTestbed, tenantWithDevices } from '../../helpers/leads.ts';
import { INBOX_RECEIVED, type InboxReceived } from '../../../services/inbox/inbox.events.ts';

describe('a lead who replies with exactly a stop word is opted out', () => {
	const bed = leadsTestbed('pglite', { stopWords: ['STOP', 'UNSUBSCRIBE', 'BERHENTI', 'STOP ALL'] });

	it('opts out on "stop" in any case and spacing, tells the tabs, and ignores sentences that merely contain it', async () => {
		const { client, user, devices } = await tenantWithDevices(bed.node.url, ['Sales', 'Other']);
		const socket = await LiveSocket.open(bed.node.url, { cookie: client.cookie! });
		await socket.next(f => f.type === 'hello');
		const { body: lead } = await client.post('/api/leads', { deviceId: devices['Sales'], phone: '0123456789' });
		const { body: sameNumberElsewhere } = await client.post('/api/leads', { deviceId: devices['Other'], phone: '0123456789' });
		const { body: second } = await client.post('/api/leads', { deviceId: devices['Sales'], phone: '0132223333' });
		const reply = (text: string, from = '+60123456789', deviceId = devices['Sales'], userId = user.id) =>
			bed.node.broker.broadcast<InboxReceived>(INBOX_RECEIVED, { userId, deviceId, from, text, messageId: crypto.randomUUID(), at: new Date().toISOString() });

		for (const text of ['please stop sending', 'stop it', 'STOPP', 'unsubscribe me', '']) await reply(text);
		await reply('  berhenti  ', '+60132223333');
		const optedOut = await socket.next(f => f.type === 'lead.updated' && f.payload.lead.id === second.id);
		expect(optedOut.payload.lead).toMatchObject({ optedOut: true, optedOutAt: expect.any(String) });
		// broadcast() resolves once the local handlers are done: the sentences before it changed nothing.
		expect((await client.get(`/api/leads/${lead.id}`)).body.optedOut).toBe(false);

		await reply('Stop  All', '+60123456789');
		const first = await socket.next(f => f.type === 'lead.updated' && f.payload.lead.id === lead.id);
		expect(first.payload.lead.optedOut).toBe(true);
		// Only the lead on the device that got the reply: the same number on another device stays in.
		expect((await client.get(`/api/leads/${sameNumberElsewhere.id}`)).body.optedOut).toBe(false);
		expect((await client.get('/api/leads?optedOut=true')).body.total).toBe(2);

		// A repeat changes nothing and is not announced again.
		await reply('STOP');
		await reply('stop', '+60132223333');
		await client.patch(`/api/leads/${sameNumberElsewhere.id}`, { name: 'marker' });
		await socket.next(f => f.type === 'lead.updated' && f.payload.lead.name === 'marker');
		expect(socket.frames.filter(f => f.type === 'lead.updated').length).toBe(3);
		socket.close();
	});

	it("acts only on the replying user's own lead", async () => {
		const alice = await tenantWithDevices(bed.node.url, ['A']);
		const bob = await tenantWithDevices(bed.node.url, ['B']);
		const { body: lead } = await alice.client.post('/api/leads', { deviceId: alice.devices['A'], phone: '0123456789' });
		// An event naming Bob as the owner of Alice's device opts nobody out.
		await bed.node.broker.broadcast(INBOX_RECEIVED, { userId: bob.user.id, deviceId: alice.devices['A'], from: '+60123456789', text: 'STOP', messageId: 'm1', at: new Date().toISOString() });
		await bed.node.broker.broadcast(INBOX_RECEIVED, { userId: alice.user.id, deviceId: alice.devices['A'], from: '+60123456789', text: 'hello', messageId: 'm2', at: new Date().toISOString() });
		expect((await alice.client.get(`/api/leads/${lead.id}`)).body.optedOut).toBe(false);
	});
});

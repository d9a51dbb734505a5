import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WhatsAppDouble } from '../../../services/whatsapp-double/index.ts';
import { CAMPAIGN_NODE_SERVICES, FAST_CAMPAIGN_SETTINGS, NO_PACING, waitForReport } from '../../helpers/campaigns.ts';
import { postgresDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { linkDevice, testDeviceSettings } from '../../helpers/devices.ts';
import { Client } from '../../helpers/http.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

describe('a number sends as a careful person would: it looks a recipient up once, and types before it writes', () => {
	const double = new WhatsAppDouble();
	let db: TestDatabase;
	let node: TestNode;
	let client: Client;

	beforeAll(async () => {
		await double.start();
		db = await postgresDatabase();
		node = await startNode({ db, services: CAMPAIGN_NODE_SERVICES, settings: { devices: testDeviceSettings(double.endpoint, { dispatchPollMs: 200 }), ...FAST_CAMPAIGN_SETTINGS } });
		client = new Client(node.url);
		await client.register();
	});
	afterAll(async () => {
		await node?.stop();
		await db?.drop();
		await double.stop();
	});

	it('a second campaign, from another number, to the same people looks none of them up again, not-on-WhatsApp included', async () => {
		const shops = [];
		for (const name of ['Shop 1', 'Shop 2']) {
			const { id } = await linkDevice(client, double, name);
			expect((await client.patch(`/api/devices/${id}`, { pacing: NO_PACING })).status).toBe(200);
			shops.push(id);
		}
		const aisha = double.addContact({ name: 'Aisha', phone: '60123455001' });
		const ben = double.addContact({ name: 'Ben', phone: '60123455002' });
		const nobody = '60123455099';
		const rows = ['device,name,phone,niche'];
		// The first number's leads in the niche of the first campaign, the second's in the second's.
		for (const [i, shop] of shops.entries()) rows.push(...[`Aisha,+${aisha.phone}`, `Ben,+${ben.phone}`, `Nobody,+${nobody}`].map(lead => `${shop},${lead},n${i}`));
		expect((await client.request('POST', '/api/leads/import', rows.join('\n'), { 'content-type': 'text/csv' })).body.created).toBe(6);

		for (const [i, title] of ['First', 'Second'].entries()) {
			const { body: campaign } = await client.post('/api/campaigns', { title, niche: `n${i}`, scheduledAt: new Date().toISOString(), message: `${title} for {name}`, minDelaySeconds: 0, maxDelaySeconds: 0 });
			const report = await waitForReport(client, campaign.id, r => r.status !== 'running' && r.status !== 'scheduled', 30_000);
			expect(report.totals.failed, JSON.stringify(report)).toBe(1);
		}
		// Aisha and Ben got one message from each number; Nobody's failed with the reason.
		expect(aisha.received().map(m => m.text)).toEqual(['First for Aisha', 'Second for Aisha']);
		expect(ben.received().map(m => m.text)).toEqual(['First for Ben', 'Second for Ben']);
		const checked = double.events.list().filter(e => e.type === 'number.checked').map(e => (e as { phone: string }).phone);
		expect(checked.sort()).toEqual([aisha.phone, ben.phone, nobody].sort());
	});
	it('within its pacing gap a number shows "typing…" to the next contact, then sends; with no gap it does not type', async () => {
		const { id, jid } = await linkDevice(client, double, 'Typist');
		expect((await client.patch(`/api/devices/${id}`, { pacing: { ...NO_PACING, minDelaySeconds: 4, maxDelaySeconds: 4 } })).status).toBe(200);
		const people = ['Chen', 'Dana'].map((name, i) => double.addContact({ name, phone: `6012345510${i}` }));
		const rows = ['device,name,phone,niche', ...people.map(c => `${id},${c.name},+${c.phone},typing`)];
		expect((await client.request('POST', '/api/leads/import', rows.join('\n'), { 'content-type': 'text/csv' })).body.created).toBe(2);
		const since = double.events.lastSeq;
		const { body: campaign } = await client.post('/api/campaigns', { title: 'Typing', niche: 'typing', scheduledAt: new Date().toISOString(), message: 'A few words for {name}, typed with care.', minDelaySeconds: 0, maxDelaySeconds: 0 });
		await waitForReport(client, campaign.id, r => r.status === 'completed', 30_000);
		const mine = double.events.list().filter(e => e.seq > since && 'device' in e && e.device === jid);
		const sent = mine.filter(e => e.type === 'message.sent');
		expect(sent).toHaveLength(2);
		const [first, second] = sent;
		// The first message had no gap before it: no typing. The second is preceded by composing, then paused, to its contact.
		const before = (e: (typeof mine)[number], upTo: number, from = 0) => e.seq > from && e.seq < upTo && e.type === 'chatstate.sent';
		expect(mine.filter(e => before(e, first!.seq))).toEqual([]);
		const typing = mine.filter(e => before(e, second!.seq, first!.seq)) as { state: string; to: string; at: number }[];
		expect(typing.map(e => [e.state, e.to.split('@')[0]])).toEqual([
			['composing', (second as { to: string }).to.split('@')[0]],
			['paused', (second as { to: string }).to.split('@')[0]],
		]);
		// Typing for about as long as the text takes (40 characters: 8 s, cut to the 4 s gap), and never before the gap ends minus that.
		const typedMs = second!.at - typing[0]!.at;
		expect(typedMs).toBeGreaterThanOrEqual(3_000);
		expect(second!.at - first!.at).toBeGreaterThanOrEqual(4_000);

		// Turned off in the settings, the same run types nothing (and keeps its gap).
		const { status, body: me } = await client.patch('/api/me/settings', { typing: false });
		expect([status, me.typing]).toEqual([200, false]);
		const quiet = double.events.lastSeq;
		const { body: again } = await client.post('/api/campaigns', { title: 'Quiet', niche: 'typing', scheduledAt: new Date().toISOString(), message: 'Again for {name}.', minDelaySeconds: 0, maxDelaySeconds: 0 });
		await waitForReport(client, again.id, r => r.status === 'completed', 30_000);
		const after = double.events.list().filter(e => e.seq > quiet && 'device' in e && e.device === jid);
		expect(after.filter(e => e.type === 'message.sent')).toHaveLength(2);
		expect(after.filter(e => e.type === 'chatstate.sent')).toEqual([]);
	}, 90_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { greetingAt, hourIn } from '../../../services/shared/greetings.ts';
import { WhatsAppDouble, type Contact } from '../../../services/whatsapp-double/index.ts';
import { CAMPAIGN_NODE_SERVICES, FAST_CAMPAIGN_SETTINGS, NO_PACING, waitForReport } from '../../helpers/campaigns.ts';
import { postgresDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { linkDevice, testDeviceSettings } from '../../helpers/devices.ts';
import { Client } from '../../helpers/http.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

/** A Malaysian number: the greeting follows the clock in Kuala Lumpur. */
const CONTACT_ZONE = 'Asia/Kuala_Lumpur';

/** Quiet hours from an hour ago to two hours ahead on the clock of `timeZone`, so now is inside them. */
function quietAroundNow(timeZone: string): { start: string; end: string } {
	const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date());
	const minute = Number(parts.find(p => p.type === 'hour')!.value) * 60 + Number(parts.find(p => p.type === 'minute')!.value);
	const clock = (m: number) => {
		const wrapped = (m + 1440) % 1440;
		return `${String(Math.floor(wrapped / 60)).padStart(2, '0')}:${String(wrapped % 60).padStart(2, '0')}`;
	};
	return { start: clock(minute - 60), end: clock(minute + 120) };
}

describe('a campaign greets with the tenant’s own greeting set, as it is when the message is sent', () => {
	const double = new WhatsAppDouble();
	let db: TestDatabase;
	let node: TestNode;
	let client: Client;
	let contact: Contact;
	let deviceId: string;

	/** Schedules a campaign for the lead that fires at once, with the English greeting. */
	async function campaign(message: string): Promise<string> {
		const { status, body } = await client.post('/api/campaigns', { title: message, scheduledAt: new Date(Date.now() + 300).toISOString(), niche: 'shoes', greeting: 'en', message, minDelaySeconds: 0, maxDelaySeconds: 0 });
		expect(status, JSON.stringify(body)).toBe(201);
		return body.id;
	}

	/** Fires a campaign while quiet hours hold the number, so its message waits in the outbox. */
	async function heldCampaign(message: string): Promise<string> {
		expect((await client.patch(`/api/devices/${deviceId}`, { pacing: { quietHours: quietAroundNow(CONTACT_ZONE) } })).status).toBe(200);
		const id = await campaign(message);
		const report = await waitForReport(client, id, r => r.totals.shouldSend === 1 && r.totals.pending === 1);
		expect(report.status).toBe('running');
		expect(contact.received().filter(m => m.text?.endsWith(message))).toEqual([]);
		return id;
	}

	beforeAll(async () => {
		await double.start();
		db = await postgresDatabase();
		node = await startNode({ db, services: CAMPAIGN_NODE_SERVICES, settings: { devices: testDeviceSettings(double.endpoint, { dispatchPollMs: 200 }), ...FAST_CAMPAIGN_SETTINGS } });
		client = new Client(node.url);
		await client.register({ timeZone: CONTACT_ZONE });
		deviceId = (await linkDevice(client, double, 'Shop')).id;
		expect((await client.patch(`/api/devices/${deviceId}`, { pacing: NO_PACING })).status).toBe(200);
		contact = double.addContact({ name: 'Aisha', phone: '60123452000' });
		const lead = await client.post('/api/leads', { deviceId, phone: `+${contact.phone}`, name: 'Aisha Rahman', niches: ['shoes'] });
		expect(lead.status, JSON.stringify(lead.body)).toBe(201);
	});
	afterAll(async () => {
		await node?.stop();
		await db?.drop();
		await double.stop();
	});

	it('the lead gets the tenant’s greeting for its local hour, not the shipped one', async () => {
		const own = [
			{ fromHour: 0, text: 'Late hello {first_name}!' },
			{ fromHour: 6, text: 'Bright morning {first_name}!' },
			{ fromHour: 12, text: 'Sunny afternoon {first_name}!' },
			{ fromHour: 18, text: 'Calm evening {first_name}!' },
		];
		expect((await client.patch('/api/me/settings', { greetings: { en: own } })).status).toBe(200);
		const expected = (at: Date) => `${greetingAt(own, hourIn(CONTACT_ZONE, at))!.text.replace('{first_name}', 'Aisha')}\n\nOur new shoes are in.`;
		const before = expected(new Date());
		await campaign('Our new shoes are in.');
		const got = await contact.waitForMessage(m => m.text?.endsWith('Our new shoes are in.') ?? false, 20_000);
		// Should the greeting's hour turn between firing and arrival, either side is right.
		expect([before, expected(new Date())]).toContain(got.text);
	});

	it('a greeting changed after the campaign fired but before its message was sent is the one used', async () => {
		const id = await heldCampaign('Second pair half price.');
		expect((await client.patch('/api/me/settings', { greetings: { en: [{ fromHour: 0, text: 'Changed greeting, {first_name}!' }] } })).status).toBe(200);
		expect((await client.patch(`/api/devices/${deviceId}`, { pacing: { quietHours: null } })).status).toBe(200);
		const got = await contact.waitForMessage(m => m.text?.endsWith('Second pair half price.') ?? false, 20_000);
		expect(got.text).toBe('Changed greeting, Aisha!\n\nSecond pair half price.');
		await waitForReport(client, id, r => r.status === 'completed');
	});

	it('a new tenant time zone reaches the number’s quiet hours at once', async () => {
		const id = await heldCampaign('Last day of the sale.');
		// Fourteen hours west of Kuala Lumpur, the same moment is far outside those quiet hours.
		expect((await client.patch('/api/me/settings', { timeZone: 'America/Mexico_City' })).status).toBe(200);
		const got = await contact.waitForMessage(m => m.text?.endsWith('Last day of the sale.') ?? false, 20_000);
		expect(got.text).toBe('Changed greeting, Aisha!\n\nLast day of the sale.');
		await waitForReport(client, id, r => r.status === 'completed');
	});

	it('the length check of a campaign counts the tenant’s own greeting of its language', async () => {
		expect((await client.patch('/api/me/settings', { greetings: { en: [{ fromHour: 0, text: 'w'.repeat(200) }] } })).status).toBe(200);
		// With a shipped greeting (about 60 characters) it fits; with the tenant's 200 it does not.
		const draft = (greeting: string) => client.post('/api/campaigns', { title: 'Long', scheduledAt: new Date(Date.now() + 3_600_000).toISOString(), greeting, message: 'a'.repeat(3950), draft: true });
		const refused = await draft('en');
		expect(refused.status).toBe(400);
		expect(refused.body.error.fields).toEqual([{ field: 'message', message: expect.stringMatching(/^The longest version of this message has about 4152 characters/) }]);
		expect((await draft('ms')).status).toBe(201);
	});
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WhatsAppDouble, type Contact } from '../../../services/whatsapp-double/index.ts';
import { CAMPAIGN_NODE_SERVICES, FAST_CAMPAIGN_SETTINGS, NO_PACING } from '../../helpers/campaigns.ts';
import { postgresDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { linkDevice, testDeviceSettings } from '../../helpers/devices.ts';
import { Client } from '../../helpers/http.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

/** A node with every service, one linked number sending without pacing, and demo-like contacts; per describe block. */
function dripBed(names: string[], phoneBase: string) {
	const bed = { double: new WhatsAppDouble(), contacts: {} as Record<string, Contact> } as {
		double: WhatsAppDouble;
		db: TestDatabase;
		node: TestNode;
		client: Client;
		deviceId: string;
		phone: string;
		contacts: Record<string, Contact>;
	};
	beforeAll(async () => {
		await bed.double.start();
		bed.db = await postgresDatabase();
		bed.node = await startNode({ db: bed.db, services: CAMPAIGN_NODE_SERVICES, settings: { devices: testDeviceSettings(bed.double.endpoint, { dispatchPollMs: 200 }), ...FAST_CAMPAIGN_SETTINGS } });
		bed.client = new Client(bed.node.url);
		await bed.client.register();
		const linked = await linkDevice(bed.client, bed.double, 'Drip');
		bed.deviceId = linked.id;
		bed.phone = linked.phone.phone;
		expect((await bed.client.patch(`/api/devices/${bed.deviceId}`, { pacing: NO_PACING })).status).toBe(200);
		for (const [i, name] of names.entries()) bed.contacts[name] = bed.double.addContact({ name, phone: `${phoneBase}${i}` });
	});
	afterAll(async () => {
		await bed.node?.stop();
		await bed.db?.drop();
		await bed.double.stop();
	});
	return bed;
}

describe('a sequence sends its steps to each enrolled lead, one at a time, and chains on', () => {
	const bed = dripBed(['Aisha', 'Ben', 'Chen'], '6012345200');
	let other: Client;
	beforeAll(async () => {
		other = new Client(bed.node.url);
		await other.register();
	});
	const { contacts } = bed;

	const texts = (name: string) => contacts[name]!.received().map(m => m.text);

	it('enrols exactly the leads carrying the trigger, sends the steps in order with their delays, completes and chains', async () => {
		const { body: vip, status: vipStatus } = await bed.client.post('/api/sequences', { name: 'VIP', trigger: 'vip', minDelaySeconds: 0, maxDelaySeconds: 0, steps: [{ text: 'Welcome to VIP, {name}' }] });
		expect(vipStatus, JSON.stringify(vip)).toBe(201);
		const { body: promo, status } = await bed.client.post('/api/sequences', {
			name: 'Promo',
			trigger: 'promo',
			minDelaySeconds: 0,
			maxDelaySeconds: 0,
			chainTo: vip.id,
			steps: [{ text: 'Step 1 for {name}' }, { text: 'Step 2', delaySeconds: 2 }, { text: 'Step 3', delaySeconds: 1 }],
		});
		expect(status, JSON.stringify(promo)).toBe(201);
		expect(promo.steps.map((s: { trigger: string; delaySeconds: number }) => [s.trigger, s.delaySeconds])).toEqual([
			['promo', 0],
			['promo_day2', 2],
			['promo_day3', 1],
		]);

		const lead = async (who: Client, name: string, triggers: string[]) => {
			const { status, body } = await who.post('/api/leads', { deviceId: bed.deviceId, phone: `+${contacts[name]!.phone}`, name, triggers });
			return { status, body };
		};
		const { body: aisha } = await lead(bed.client, 'Aisha', ['promo']);
		// Not an exact match: no enrolment.
		await lead(bed.client, 'Ben', ['promo_x', 'PROMO']);
		// Another tenant's lead with the same trigger (on a number of its own) stays untouched.
		const { body: otherDevice } = await other.post('/api/devices', { name: 'Elsewhere' });
		expect((await other.post('/api/leads', { deviceId: otherDevice.id, phone: `+${contacts.Chen!.phone}`, name: 'Chen', triggers: ['promo'] })).status).toBe(201);

		await expect.poll(() => texts('Aisha'), { timeout: 20_000 }).toEqual(['Step 1 for Aisha', 'Step 2', 'Step 3', 'Welcome to VIP, Aisha']);
		const times = contacts.Aisha!.received().map(m => m.at);
		expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(1_900);
		expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(900);
		expect(texts('Ben')).toEqual([]);
		expect(texts('Chen')).toEqual([]);

		// The promo trigger went; the chain's came on (and its sequence completed it too).
		await expect.poll(async () => (await bed.client.get(`/api/leads/${aisha.id}`)).body.triggers, { timeout: 10_000 }).toEqual([]);
		const report = (await bed.client.get(`/api/sequences/${promo.id}/report`)).body;
		expect(report).toMatchObject({ enrolled: 1, active: 0, completed: 1, failed: 0, stopped: 0, progress: 100 });
		expect(report.steps.map((s: { index: number; sent: number; delivered: number; read: number }) => [s.index, s.sent + s.delivered + s.read])).toEqual([
			[1, 1],
			[2, 1],
			[3, 1],
		]);
		const { body: enrolments } = await bed.client.get(`/api/sequences/${promo.id}/enrolments?status=completed`);
		expect(enrolments).toMatchObject({ total: 1, items: [{ leadName: 'Aisha', status: 'completed' }] });
		expect((await other.get(`/api/sequences/${promo.id}/report`)).status).toBe(404);
		// The lead's dialog lists its enrolments.
		const { body: mine } = await bed.client.get(`/api/leads/${aisha.id}/enrolments`);
		expect(mine.map((e: { sequenceName: string; status: string; step: number }) => [e.sequenceName, e.status, e.step])).toEqual([
			['Promo', 'completed', 3],
			['VIP', 'completed', 1],
		]);
		expect((await other.get(`/api/leads/${aisha.id}/enrolments`)).status).toBe(404);
	});
});

describe('a sequence is held, edited, stopped and deleted for every enrolment at once', () => {
	const bed = dripBed(['Dana', 'Eve', 'Femi'], '6012345300');
	const { contacts } = bed;

	const texts = (name: string) => contacts[name]!.received().map(m => m.text);
	const addLead = (name: string, triggers: string[]) => bed.client.post('/api/leads', { deviceId: bed.deviceId, phone: `+${contacts[name]!.phone}`, name, triggers });

	it('pause holds, an edit reaches the next step, resume continues; a reply stops the lead; delete ends it', async () => {
		const { body: seq } = await bed.client.post('/api/sequences', {
			name: 'Course',
			trigger: 'course',
			minDelaySeconds: 0,
			maxDelaySeconds: 0,
			steps: [{ text: 'Lesson 1' }, { text: 'Lesson 2', delaySeconds: 3 }, { text: 'Lesson 3', delaySeconds: 1 }],
		});
		await addLead('Dana', ['course']);
		await addLead('Eve', ['course']);
		await expect.poll(() => [texts('Dana'), texts('Eve')], { timeout: 15_000 }).toEqual([['Lesson 1'], ['Lesson 1']]);

		// Eve answers: she leaves the sequence (stopOnReply is on by default).
		await contacts.Eve!.sendText(bed.phone, 'Thanks!');
		expect((await bed.client.post(`/api/sequences/${seq.id}/pause`)).body.status).toBe('paused');
		const edited = seq.steps.map((s: { id: string; text: string; delaySeconds: number }, i: number) => ({ id: s.id, text: i === 1 ? 'Lesson 2, revised' : s.text, delaySeconds: s.delaySeconds }));
		expect((await bed.client.patch(`/api/sequences/${seq.id}`, { steps: edited })).status).toBe(200);
		await new Promise(resolve => setTimeout(resolve, 4_000));
		expect(texts('Dana')).toEqual(['Lesson 1']);

		expect((await bed.client.post(`/api/sequences/${seq.id}/resume`)).body.status).toBe('active');
		await expect.poll(() => texts('Dana'), { timeout: 15_000 }).toEqual(['Lesson 1', 'Lesson 2, revised', 'Lesson 3']);
		expect(texts('Eve')).toEqual(['Lesson 1']);
		await expect
			.poll(async () => (await bed.client.get(`/api/sequences/${seq.id}/report`)).body, { timeout: 10_000 })
			.toMatchObject({ enrolled: 2, active: 0, completed: 1, stopped: 1, progress: expect.any(Number) });
		const { body: stopped } = await bed.client.get(`/api/sequences/${seq.id}/enrolments?status=stopped`);
		expect(stopped.items).toMatchObject([{ leadName: 'Eve', error: 'the lead replied' }]);

		// Deleting a sequence cancels what it has queued and ends its enrolments.
		const { body: slow } = await bed.client.post('/api/sequences', { name: 'Slow', trigger: 'slow', steps: [{ text: 'Hello Femi', delaySeconds: 3600 }] });
		await addLead('Femi', ['slow']);
		await expect.poll(async () => (await bed.client.get(`/api/sequences/${slow.id}/report`)).body.enrolled, { timeout: 10_000 }).toBe(1);
		expect((await bed.client.delete(`/api/sequences/${slow.id}`)).status).toBe(204);
		expect((await bed.client.get(`/api/sequences/${slow.id}`)).status).toBe(404);
		expect(texts('Femi')).toEqual([]);
	});

	it('refuses a bad sequence with clear reasons and keeps nothing of it', async () => {
		const bad = async (body: object) => {
			const res = await bed.client.post('/api/sequences', body);
			return [res.status, res.body.error?.fields?.[0]?.message ?? res.body.error?.message];
		};
		expect(await bad({ name: 'x', trigger: 'two words', steps: [{ text: 'a' }] })).toEqual([400, 'A trigger is one word: letters, digits, _ and -.']);
		expect(await bad({ name: 'x', trigger: 't', steps: [] })).toEqual([400, 'A sequence has at least one step.']);
		expect(await bad({ name: 'x', trigger: 't', steps: Array.from({ length: 32 }, () => ({ text: 'a' })) })).toEqual([400, 'A sequence has at most 31 steps.']);
		expect(await bad({ name: 'x', trigger: 't', steps: [{ text: 'a' }, { text: 'b', trigger: 't' }] })).toEqual([400, 'Steps 1 and 2 have the same trigger "t".']);
		expect(await bad({ name: 'x', trigger: 't', chainTo: crypto.randomUUID(), steps: [{ text: 'a' }] })).toEqual([400, 'Chain to one of your sequences.']);
		expect(await bad({ name: 'x', trigger: 't', steps: [{ text: 'fine' }, { text: 'Hi {name' }] })).toEqual([400, 'Step 2: This "{" is never closed: add its "}".']);
		expect((await bed.client.get('/api/sequences')).body.map((s: { name: string }) => s.name).filter((n: string) => n === 'x')).toEqual([]);
	});
});

describe('a sequence waits for an offline number, and a failed step stops its enrolment until retried', () => {
	const bed = dripBed(['Gita'], '6012345400');
	const { contacts } = bed;

	it('holds while the number is offline and goes on when it is back; a recipient not on WhatsApp fails with the reason', async () => {
		const { body: seq } = await bed.client.post('/api/sequences', { name: 'Hold', trigger: 'hold', minDelaySeconds: 0, maxDelaySeconds: 0, steps: [{ text: 'Hi Gita' }] });
		bed.double.faults.ban(bed.phone);
		await expect.poll(async () => (await bed.client.get(`/api/devices/${bed.deviceId}`)).body.status, { timeout: 15_000 }).not.toBe('online');
		await bed.client.post('/api/leads', { deviceId: bed.deviceId, phone: `+${contacts.Gita!.phone}`, name: 'Gita', triggers: ['hold'] });
		// Nobody on WhatsApp has this number: its step fails.
		await bed.client.post('/api/leads', { deviceId: bed.deviceId, phone: '+60129876543', name: 'Nobody', triggers: ['hold'] });
		await expect.poll(async () => (await bed.client.get(`/api/sequences/${seq.id}/report`)).body.enrolled, { timeout: 10_000 }).toBe(2);
		await new Promise(resolve => setTimeout(resolve, 2_000));
		const { body: held } = await bed.client.get(`/api/sequences/${seq.id}/enrolments?status=active`);
		expect(held.total).toBe(2);
		expect(contacts.Gita!.received()).toEqual([]);

		bed.double.faults.unban(bed.phone);
		expect((await bed.client.post(`/api/devices/${bed.deviceId}/reconnect`)).status).toBeLessThan(300);
		await expect.poll(() => contacts.Gita!.received().map(m => m.text), { timeout: 20_000 }).toEqual(['Hi Gita']);
		await expect.poll(async () => (await bed.client.get(`/api/sequences/${seq.id}/report`)).body, { timeout: 10_000 }).toMatchObject({ completed: 1, failed: 1 });
		const { body: failed } = await bed.client.get(`/api/sequences/${seq.id}/enrolments?status=failed`);
		expect(failed.items).toMatchObject([{ leadName: 'Nobody', step: 1, error: expect.stringContaining('not on WhatsApp') }]);
		// Trying again cannot help a number that is not on WhatsApp: nothing is queued.
		expect((await bed.client.post(`/api/sequences/${seq.id}/retry`)).body).toEqual({ retried: 0 });
		expect((await bed.client.get(`/api/sequences/${seq.id}/enrolments?status=failed`)).body.total).toBe(1);
	});

	it('a step WhatsApp refused stops the lead there with the reason; retry from the report sends it and the sequence goes on', async () => {
		const { body: seq } = await bed.client.post('/api/sequences', {
			name: 'Again',
			trigger: 'again',
			minDelaySeconds: 0,
			maxDelaySeconds: 0,
			steps: [{ text: 'First for Gita' }, { text: 'Second for Gita', delaySeconds: 1 }],
		});
		const before = contacts.Gita!.received().length;
		bed.double.faults.rejectSends(bed.phone, 479);
		const { body: lead } = await bed.client.get(`/api/leads?q=${contacts.Gita!.phone}`);
		expect((await bed.client.patch(`/api/leads/${lead.items[0].id}`, { triggers: ['again'] })).status).toBe(200);
		await expect.poll(async () => (await bed.client.get(`/api/sequences/${seq.id}/report`)).body, { timeout: 15_000 }).toMatchObject({ failed: 1, steps: [{ index: 1, failed: 1 }, { index: 2, sent: 0 }] });
		const { body: stopped } = await bed.client.get(`/api/sequences/${seq.id}/enrolments?status=failed`);
		expect(stopped.items).toMatchObject([{ leadName: 'Gita', step: 1, error: expect.stringContaining('479') }]);

		bed.double.faults.allowSends(bed.phone);
		expect((await bed.client.post(`/api/sequences/${seq.id}/retry`)).body).toEqual({ retried: 1 });
		await expect.poll(() => contacts.Gita!.received().slice(before).map(m => m.text), { timeout: 20_000 }).toEqual(['First for Gita', 'Second for Gita']);
		await expect.poll(async () => (await bed.client.get(`/api/sequences/${seq.id}/report`)).body, { timeout: 10_000 }).toMatchObject({ completed: 1, failed: 0 });
		// Trying again once more finds nothing to do.
		expect((await bed.client.post(`/api/sequences/${seq.id}/retry`)).body).toEqual({ retried: 0 });
	});
});

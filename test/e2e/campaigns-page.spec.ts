import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlOf } from '../../mixins/orm.middleware.ts';
import { zonedDateAndTime } from '../../services/shared/zoned-time.ts';
import { browserTestbed, browserTestsEnabled, registerThroughForm } from '../helpers/browser.ts';
import { CAMPAIGN_NODE_SERVICES, FAST_CAMPAIGN_SETTINGS, NO_PACING, testImage } from '../helpers/campaigns.ts';
import { linkDevice, testDeviceSettings } from '../helpers/devices.ts';
import { Client } from '../helpers/http.ts';
import { importCsv } from '../helpers/leads.ts';
import { WhatsAppDouble, type Contact } from '../../services/whatsapp-double/index.ts';

const ZONE = 'Asia/Kuala_Lumpur';
const LEADS = ['Aisha Tan', 'Ben Lim', 'Chen Wei'];
/** A lead whose number is not on WhatsApp: its message fails, and retrying cannot help it. */
const STRANGER = { name: 'Dana Nobody', phone: '+60129990001' };
/** Seconds between two messages of the number: the report fills in over a few seconds, one by one. */
const GAP_SECONDS = 2;

describe.runIf(browserTestsEnabled())('a user plans a campaign in the dashboard and watches it reach every lead', () => {
	const double = new WhatsAppDouble();
	let client: Client;
	const contacts: Record<string, Contact> = {};
	let campaignId: string;
	let scheduledFor: number;

	const nav = () => bed.page.getByRole('navigation', { name: 'Main' });
	const counter = (testId: string) => bed.page.getByTestId(testId).locator('.tile-value');

	// The double first (and stopped last): the node's devices connect to it.
	beforeAll(() => double.start());
	afterAll(() => double.stop());
	const bed = browserTestbed(() => ({
		services: CAMPAIGN_NODE_SERVICES,
		settings: { devices: testDeviceSettings(double.endpoint, { dispatchPollMs: 200 }), ...FAST_CAMPAIGN_SETTINGS },
	}));
	beforeAll(() => {
		client = new Client(bed.node.url);
	});

	it('registers in the browser; a linked number and four leads (three of them the double’s contacts) come in through the API', async () => {
		await registerThroughForm(bed.page, bed.node.url, { name: 'Nadia', email: 'nadia@example.com' });

		client.cookie = (await bed.browser.context.cookies(bed.node.url)).map(c => `${c.name}=${c.value}`).join('; ');
		expect((await client.patch('/api/me/settings', { timeZone: ZONE, country: 'MY' })).status).toBe(200);
		const device = await linkDevice(client, double, 'Shop KL');
		expect((await client.patch(`/api/devices/${device.id}`, { pacing: NO_PACING })).status).toBe(200);
		for (const [i, name] of LEADS.entries()) contacts[name] = double.addContact({ name, phone: `6012345200${i}` });
		const rows = [...LEADS.map(name => `Shop KL,${name},+${contacts[name].phone},shoes,prospect`), `Shop KL,${STRANGER.name},${STRANGER.phone},shoes,prospect`];
		const imported = await importCsv(client, ['device,name,phone,niche,target_status', ...rows].join('\n'));
		expect(imported.body, JSON.stringify(imported.body)).toMatchObject({ created: 4, rejected: 0 });
	});

	it('writes the campaign in the editor with a live preview and an uploaded image, and schedules it', async () => {
		await nav().getByRole('link', { name: 'Campaigns', exact: true }).click();
		await bed.page.getByRole('link', { name: 'New campaign' }).click();
		await bed.page.waitForURL(/\/campaigns\/new$/);
		await expect.poll(() => bed.page.getByText(`Asia/Kuala Lumpur time (UTC+08:00)`).count()).toBe(1);

		// Saving an empty form shows the server's reasons next to their fields, and stays here.
		await bed.page.getByRole('button', { name: 'Save as draft' }).click();
		await expect.poll(() => bed.page.locator('#campaign-title-error').textContent()).toBe('Give the campaign a title.');
		expect(await bed.page.getByLabel('Title').getAttribute('aria-invalid')).toBe('true');
		expect(await bed.page.getByRole('alert').textContent()).toBe('Some fields are not valid.');
		expect(bed.page.url()).toMatch(/\/campaigns\/new$/);

		await bed.page.getByLabel('Title').fill('Spring shoes');
		await bed.page.getByLabel('Niche').fill('shoes');
		const preview = bed.page.getByTestId('message-preview');

		// An unknown placeholder is warned about while typing; the real text has none.
		await bed.page.getByLabel('Message', { exact: true }).fill('Hi {nmae}');
		await expect.poll(() => bed.page.getByTestId('template-problems').textContent()).toContain('{nmae} is not a placeholder');
		await bed.page.getByLabel('Message', { exact: true }).fill('{Hi|Hello} {name}, our *new* shoes are in!\\nSee you soon');
		await expect.poll(() => bed.page.getByTestId('template-problems').count()).toBe(0);
		await expect.poll(() => preview.textContent()).toMatch(/^(Hi|Hello) Aisha Rahman, our new shoes are in!\nSee you soon$/);
		expect(await preview.locator('.fmt-bold').textContent()).toBe('new');
		// Shuffling shows the other spintax choice.
		const greetingsSeen = new Set<string>();
		for (let i = 0; i < 20 && greetingsSeen.size < 2; i++) {
			greetingsSeen.add((await preview.textContent())!.split(' ')[0]);
			await bed.page.getByRole('button', { name: 'Shuffle' }).click();
		}
		expect(greetingsSeen).toEqual(new Set(['Hi', 'Hello']));

		// A file that is no image is refused with the server's reason; a real one is shown in the bubble.
		await bed.page.getByLabel('Upload an image').setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('just some notes, not a picture') });
		await expect.poll(() => bed.page.getByRole('alert').filter({ hasText: 'This file is not an image' }).count()).toBe(1);
		await bed.page.getByLabel('Upload an image').setInputFiles({ name: 'shoes.png', mimeType: 'image/png', buffer: await testImage() });
		await expect.poll(() => bed.page.getByTestId('preview-image').count()).toBe(1);
		expect(await bed.page.getByRole('alert').filter({ hasText: 'not an image' }).count()).toBe(0);
		const imageLoaded = await bed.page.getByTestId('preview-image').evaluate(img => (img as HTMLImageElement).decode().then(() => (img as HTMLImageElement).naturalWidth));
		expect(imageLoaded).toBe(800);

		await bed.page.getByLabel('Min delay (seconds)').fill(String(GAP_SECONDS));
		await bed.page.getByLabel('Max delay (seconds)').fill(String(GAP_SECONDS));
		// A few seconds ahead, typed on the tenant's clock (Kuala Lumpur), whatever the browser's zone.
		scheduledFor = Math.ceil((Date.now() + 10_000) / 1000) * 1000;
		const { date, time } = zonedDateAndTime(scheduledFor, ZONE);
		await bed.page.getByLabel('Date').fill(date);
		await bed.page.getByLabel('Time', { exact: true }).fill(time.length === 5 ? `${time}:00` : time);
		await bed.page.getByRole('button', { name: 'Schedule' }).click();
		await bed.page.waitForURL(/\/campaigns\/[0-9a-f-]{36}$/);
		campaignId = bed.page.url().split('/').at(-1)!;
		const saved = (await client.get(`/api/campaigns/${campaignId}`)).body;
		expect(saved).toMatchObject({ title: 'Spring shoes', status: 'scheduled', niche: 'shoes', minDelaySeconds: GAP_SECONDS, mediaId: expect.any(String) });
		expect(saved.scheduledAt).toBe(new Date(scheduledFor).toISOString());
	});

	it('shows it on the calendar, opens it and watches the report reach every lead live', async () => {
		await nav().getByRole('link', { name: 'Campaigns', exact: true }).click();
		const day = bed.page.locator(`[data-testid="calendar-day"][data-date="${zonedDateAndTime(scheduledFor, ZONE).date}"]`);
		const entry = day.getByRole('link', { name: /Spring shoes/ });
		await expect.poll(() => entry.getAttribute('data-campaign-status')).toBe('scheduled');
		expect(await bed.page.getByTestId('summary-scheduled').locator('dd').textContent()).toBe('1');

		const reportReads: string[] = [];
		bed.page.on('request', request => {
			if (request.url().includes(`/api/campaigns/${campaignId}/report`)) reportReads.push(request.url());
		});
		await entry.click();
		await bed.page.waitForURL(new RegExp(`/campaigns/${campaignId}$`));
		await expect.poll(() => bed.page.getByTestId('counter-reached').textContent()).toBe('0');
		expect(await bed.page.getByTestId('campaign-status').getAttribute('data-campaign-status')).toBe('scheduled');

		// Every value the "reached" counter takes, as the page changes it.
		await bed.page.getByTestId('counter-reached').evaluate(element => {
			const seen: string[] = [element.textContent!];
			(window as unknown as { reachedSeen: string[] }).reachedSeen = seen;
			new MutationObserver(() => seen.push(element.textContent!)).observe(element, { childList: true, characterData: true, subtree: true });
		});
		await expect.poll(() => bed.page.getByTestId('counter-reached').textContent(), { timeout: 40_000 }).toBe(String(LEADS.length));
		await expect.poll(() => bed.page.getByTestId('campaign-status').getAttribute('data-campaign-status')).toBe('completed_with_failures');
		expect(await bed.page.getByTestId('status-reason').textContent()).toBe('1 of 4 messages failed.');
		expect(await bed.page.getByTestId('counter-should-send').textContent()).toBe(String(LEADS.length + 1));
		expect(await counter('counter-failed').textContent()).toBe('1');
		const seen = await bed.page.evaluate(() => (window as unknown as { reachedSeen: string[] }).reachedSeen);
		expect([...new Set(seen)]).toEqual(['0', '1', '2', '3']);
		// Live by events: the page read the report once, when it opened.
		expect(reportReads).toHaveLength(1);
		expect(await bed.page.getByTestId('device-row').getByRole('rowheader').textContent()).toBe('Shop KL');

		for (const name of LEADS) {
			const got = contacts[name].received();
			expect(got, `${name} gets one message`).toHaveLength(1);
			expect(got[0].text).toMatch(new RegExp(`^(Hi|Hello) ${name}, our \\*new\\* shoes are in!\nSee you soon$`));
			expect(got[0].image?.bytes.length).toBeGreaterThan(1000);
		}
	}, 90_000);

	it('drills into the recipients of the device and of one status', async () => {
		await bed.page.getByTestId('device-row').getByRole('button', { name: 'Shop KL', exact: true }).click();
		const rows = bed.page.getByTestId('recipient-row');
		await expect.poll(() => rows.count()).toBe(4);
		const everyone = [...LEADS, STRANGER.name];
		expect((await rows.allTextContents()).map(text => everyone.find(name => text.includes(name))).sort()).toEqual(everyone.sort());
		expect(await bed.page.getByRole('navigation', { name: 'Pages of recipients' }).getByTestId('page-range').textContent()).toBe('1–4 of 4 recipients');

		// The double's contacts confirm delivery: the counter and then its drill-down say so.
		await expect.poll(() => counter('counter-delivered').textContent()).toBe('3');
		await bed.page.getByTestId('counter-delivered').click();
		await expect.poll(() => bed.page.getByLabel('Status', { exact: true }).inputValue()).toBe('delivered');
		await expect.poll(async () => (await rows.evaluateAll(list => list.map(row => row.getAttribute('data-status')))).join()).toBe('delivered,delivered,delivered');
		await bed.page.getByTestId('counter-failed').click();
		await expect.poll(() => rows.count()).toBe(1);
		expect(await rows.textContent()).toMatch(new RegExp(`${STRANGER.name}.*\\${STRANGER.phone}.*not on WhatsApp`));
		await bed.page.getByTestId('counter-cancelled').click();
		await expect.poll(() => bed.page.getByText('No recipients match.').count()).toBe(1);
		await bed.page.getByLabel('Status', { exact: true }).selectOption({ label: 'Any status' });
		await expect.poll(() => rows.count()).toBe(4);
	});

	it('retries the failed messages of the device and of the whole campaign; a number without WhatsApp stays failed', async () => {
		await bed.page.getByRole('button', { name: 'Retry failed on Shop KL' }).click();
		await expect.poll(() => bed.page.getByRole('status').filter({ hasText: 'Nothing could be retried on that device: numbers without WhatsApp stay failed.' }).count()).toBe(1);
		await bed.page.getByRole('button', { name: 'Retry failed', exact: true }).click();
		await expect.poll(() => bed.page.getByRole('status').filter({ hasText: /^Nothing could be retried: numbers without WhatsApp stay failed\.$/ }).count()).toBe(1);
		expect(await counter('counter-failed').textContent()).toBe('1');
		expect(contacts[LEADS[0]].received()).toHaveLength(1);
	});

	it('resends an interrupted message only when asked in its own words, warning that it may arrive twice', async () => {
		// As a node killed mid-send leaves one: failed, interrupted, and no receipt came.
		const [message] = await sqlOf(bed.node.broker).execute<{ id: string }[]>(
			`update messages set status = 'failed', error = 'interrupted: the node sending it stopped; not re-sent (retry it by hand)', delivered_at = null, read_at = null
			 where id = (select id from messages where source_id = ? and recipient = ? limit 1) returning id`,
			[campaignId, `+${contacts[LEADS[0]].phone}`],
		);
		expect(message).toBeDefined();
		await bed.page.reload();
		await expect.poll(() => counter('counter-failed').textContent()).toBe('2');
		// Retry failed leaves it alone; its own button asks first.
		await bed.page.getByRole('button', { name: 'Retry failed', exact: true }).click();
		await expect.poll(() => bed.page.getByRole('status').filter({ hasText: /^Nothing could be retried/ }).count()).toBe(1);
		await bed.page.getByRole('button', { name: 'Resend interrupted…' }).click();
		const dialog = bed.page.getByRole('dialog', { name: 'Resend 1 interrupted message?' });
		expect((await dialog.textContent())!.replace(/\s+/g, " ")).toMatch(/may have delivered it already.*get the same message twice/);
		await dialog.getByRole('button', { name: 'Resend anyway' }).click();
		await expect.poll(() => bed.page.getByRole('status').filter({ hasText: '1 interrupted message queued again.' }).count()).toBe(1);
		await expect.poll(() => contacts[LEADS[0]].received().length, { timeout: 20_000 }).toBe(2);
		await expect.poll(() => counter('counter-failed').textContent()).toBe('1');
	});

	it('clones it: the editor opens with the copy, which is scheduled, cancelled and deleted', async () => {
		await bed.page.getByRole('button', { name: 'Clone' }).click();
		await bed.page.waitForURL(/\/campaigns\/[0-9a-f-]{36}\/edit$/);
		const copyId = bed.page.url().split('/').at(-2)!;
		expect(copyId).not.toBe(campaignId);
		await expect.poll(() => bed.page.getByLabel('Title').inputValue()).toBe('Spring shoes (Copy)');
		expect(await bed.page.getByLabel('Message', { exact: true }).inputValue()).toBe('{Hi|Hello} {name}, our *new* shoes are in!\\nSee you soon');
		expect(await bed.page.getByLabel('Date').inputValue()).toBe(zonedDateAndTime(Date.now(), ZONE).date);
		expect(await bed.page.getByTestId('chosen-image').count()).toBe(1);

		// A second tab on the calendar follows what happens to the copy.
		const calendar = await bed.browser.context.newPage();
		await calendar.goto(`${bed.node.url}/campaigns`);
		const copyEntry = calendar.getByRole('link', { name: /Spring shoes \(Copy\)/ });
		await expect.poll(() => copyEntry.getAttribute('data-campaign-status')).toBe('draft');

		const today = zonedDateAndTime(Date.now(), ZONE).date;
		const tomorrow = zonedDateAndTime(Date.now() + 86_400_000, ZONE).date;
		await bed.page.getByLabel('Date').fill(tomorrow);
		await bed.page.getByRole('button', { name: 'Schedule' }).click();
		await bed.page.waitForURL(new RegExp(`/campaigns/${copyId}$`));
		await expect.poll(() => bed.page.getByTestId('campaign-status').getAttribute('data-campaign-status')).toBe('scheduled');
		if (tomorrow.slice(0, 7) !== today.slice(0, 7)) await calendar.getByRole('button', { name: 'Next month' }).click();
		await expect.poll(() => copyEntry.getAttribute('data-campaign-status')).toBe('scheduled');

		await bed.page.getByRole('button', { name: 'Cancel campaign' }).click();
		const dialog = bed.page.getByRole('dialog');
		expect(await dialog.textContent()).toContain('Nothing more is sent');
		await dialog.getByTestId('confirm-button').click();
		await expect.poll(() => bed.page.getByTestId('campaign-status').getAttribute('data-campaign-status')).toBe('cancelled');
		await expect.poll(() => dialog.count()).toBe(0);

		await bed.page.getByRole('button', { name: 'Delete' }).click();
		expect(await dialog.textContent()).toContain('Messages not sent yet are cancelled');
		await dialog.getByTestId('confirm-button').click();
		await bed.page.waitForURL(/\/campaigns$/);
		expect((await client.get(`/api/campaigns/${copyId}`)).status).toBe(404);
		await expect.poll(() => calendar.getByRole('link', { name: /Spring shoes \(Copy\)/ }).count()).toBe(0);
		await expect.poll(() => calendar.getByTestId('summary-cancelled').locator('dd').textContent()).toBe('0');
		await calendar.close();
	});

	it('another user’s campaign is not found, on its page and in the editor', async () => {
		const other = new Client(bed.node.url);
		await other.register();
		const { body: theirs } = await other.post('/api/campaigns', { title: 'Their secret sale', scheduledAt: new Date(Date.now() + 86_400_000).toISOString(), message: 'Hello' });
		for (const path of [`/campaigns/${theirs.id}`, `/campaigns/${theirs.id}/edit`, '/campaigns/not-an-id']) {
			await bed.page.goto(`${bed.node.url}${path}`);
			await expect.poll(() => bed.page.getByRole('heading', { name: 'Campaign not found' }).count(), { message: path }).toBe(1);
			expect(await bed.page.getByText('Their secret sale').count()).toBe(0);
		}
	});

	it('fits a phone-sized screen without sideways scrolling', async () => {
		await bed.page.setViewportSize({ width: 375, height: 740 });
		for (const path of ['/campaigns', `/campaigns/${campaignId}`, '/campaigns/new']) {
			await bed.page.goto(`${bed.node.url}${path}`);
			await expect.poll(() => bed.page.getByRole('heading', { level: 1 }).count()).toBe(1);
			const overflow = await bed.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
			expect(overflow, path).toBeLessThanOrEqual(0);
		}
	});
});

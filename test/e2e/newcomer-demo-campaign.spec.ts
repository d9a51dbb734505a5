import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { zonedDateAndTime } from '../../services/shared/zoned-time.ts';
import { readLeadCsv } from '../../services/leads/lead-csv.ts';
import { browserTestsEnabled, registerThroughForm } from '../helpers/browser.ts';
import { demoTestbed } from '../helpers/demo.ts';

const DEVICES = ['Sales KL', 'Sales JB'];
/** The demo's contacts, in the order the demo lists them. */
const CONTACTS = [
	'Aisha Rahman',
	'Ben Carter',
	'Chen Wei',
	'Diego Alvarez',
	'Emma Schmidt',
	'Farah Haddad',
	'Gopal Iyer',
	'Hana Suzuki',
	'Ifeoma Okafor',
	'João Pereira',
	'Kirra Walker',
	'Linh Nguyen',
];
/** Seconds between two messages of one number, set in its Pacing dialog: the run takes a few seconds, one message at a time per number. */
const GAP_SECONDS = 2;
const MESSAGE = '{Hi|Hello} {name}, welcome to the demo!';
const receivedText = (name: string) => new RegExp(`^(Hi|Hello) ${name}, welcome to the demo!$`);
/** Linking goes through the double's whole handshake, and sending waits for the pacing. */
const LINKING = { timeout: 30_000 };
const RUNNING = { timeout: 40_000 };

describe.runIf(browserTestsEnabled())('in demo mode a newcomer imports a CSV, schedules a campaign, watches it run live and reads it at the demo contacts', () => {
	const bed = demoTestbed();
	let page: Page;
	beforeAll(() => void (page = bed.page));
	/** Each device's number, as its card shows it once linked. */
	const phoneOf: Record<string, string> = {};
	/** Each contact's device, as the imported file says. */
	const deviceOf: Record<string, string> = {};

	const nav = () => page.getByRole('navigation', { name: 'Main' });
	const card = (name: string) => page.getByTestId('device-card').filter({ has: page.getByRole('heading', { name, exact: true }) });

	it('registers, adds two devices, links each with the demo phone and sets its pacing', async () => {
		await registerThroughForm(page, bed.node.url, { name: 'Nadia', email: 'nadia@example.com' });
		await nav().getByRole('link', { name: 'Devices' }).click();

		for (const name of DEVICES) {
			await page.getByTestId('add-device-name').fill(name);
			await page.getByTestId('add-device-submit').click();
			await expect.poll(() => card(name).getAttribute('data-status')).toBe('new');

			await card(name).getByTestId('pair-button').click();
			const dialog = page.getByRole('dialog', { name: `Pair ${name}` });
			await expect.poll(() => dialog.getByTestId('pair-qr').getAttribute('data-qr'), LINKING).toMatch(/\S/);
			await dialog.getByTestId('demo-link-button').click();
			await expect.poll(() => card(name).getAttribute('data-status'), LINKING).toBe('online');
			await expect.poll(() => dialog.count()).toBe(0);
			await expect.poll(() => page.getByRole('status').filter({ hasText: `${name} is linked and online.` }).count()).toBe(1);
			phoneOf[name] = (await card(name).locator('dd').first().textContent())!;
			expect(phoneOf[name]).toMatch(/^\+\d{6,}$/);

			await card(name).getByRole('button', { name: 'Pacing' }).click();
			const pacing = page.getByRole('dialog', { name: `Pacing for ${name}` });
			await pacing.getByLabel('Min delay (seconds)').fill(String(GAP_SECONDS));
			await pacing.getByLabel('Max delay (seconds)').fill(String(GAP_SECONDS));
			await pacing.getByRole('button', { name: 'Save pacing' }).click();
			await expect.poll(() => pacing.count()).toBe(0);
		}
		expect(new Set(Object.values(phoneOf)).size).toBe(DEVICES.length);
	}, 90_000);

	it('imports the sample file of the demo contacts, with a bad phone and an unknown device added, and reads the report', async () => {
		await nav().getByRole('link', { name: 'Leads', exact: true }).click();
		await expect.poll(() => page.getByText('No leads yet').count()).toBe(1);

		// In demo mode the sample is the demo contacts, dealt over the devices in turn.
		const sampleLink = page.getByRole('link', { name: 'Download a sample file' });
		await expect.poll(() => page.getByText('the demo contacts, spread over your devices').count()).toBe(1);
		const [download] = await Promise.all([page.waitForEvent('download'), sampleLink.click()]);
		const sample = fs.readFileSync(await download.path(), 'utf8');
		const { rows } = readLeadCsv(sample);
		expect(rows.map(({ input }) => [input.name, input.device, input.niches])).toEqual(CONTACTS.map((name, i) => [name, DEVICES[i % DEVICES.length], 'demo']));
		for (const { input } of rows) deviceOf[input.name!] = input.device!;

		// The newcomer adds two rows of their own, which the import must refuse: rows 14 and 15 of the file.
		const file = `${sample}Too Short,+60 12,demo,,Sales KL\r\nLost Soul,+60123450099,demo,,Nowhere\r\n`;
		await page.getByLabel('CSV file', { exact: true }).setInputFiles({ name: 'my-leads.csv', mimeType: 'text/csv', buffer: Buffer.from(file) });
		const report = page.getByTestId('import-report');
		await expect.poll(() => report.count()).toBe(1);
		const progress = page.getByTestId('import-progress');
		expect([await progress.getAttribute('data-processed'), await progress.getAttribute('data-total')]).toEqual(['14', '14']);
		expect(await progress.textContent()).toMatch(/Imported my-leads\.csv\s*14 of 14 rows/);
		expect(await report.getByTestId('import-created').textContent()).toBe(String(CONTACTS.length));
		expect(await report.getByTestId('import-updated').textContent()).toBe('0');
		expect(await report.getByTestId('import-merged').textContent()).toBe('0');
		expect(await report.getByTestId('import-rejected').textContent()).toBe('2');
		expect(await report.getByTestId('rejected-row').allTextContents()).toEqual([
			'14+60 12"+60 12" is too short for Malaysia.',
			'15+60123450099You have no device named or with the id "Nowhere".',
		]);

		const leadRows = page.getByTestId('lead-row');
		await expect.poll(() => leadRows.count()).toBe(CONTACTS.length);
		for (const name of CONTACTS) expect(await leadRows.filter({ hasText: name }).textContent()).toContain(deviceOf[name]);
	});

	let campaignId: string;
	/** Every read of a campaign report the page makes, from the moment the campaign is scheduled. */
	const reportReads: string[] = [];

	it('writes the campaign with a placeholder and spintax, sees the preview, and schedules it a few seconds ahead', async () => {
		await nav().getByRole('link', { name: 'Campaigns', exact: true }).click();
		await page.getByRole('link', { name: 'New campaign' }).click();
		await page.waitForURL(/\/campaigns\/new$/);

		// The editor's clock is the tenant's, which sign-up took from the browser.
		const timeZone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
		await expect.poll(() => page.getByText(`${timeZone.replaceAll('_', ' ')} time (UTC`).count()).toBe(1);

		await page.getByLabel('Title').fill('Welcome to the demo');
		await page.getByLabel('Niche').fill('demo');
		await page.getByLabel('Message', { exact: true }).fill(MESSAGE);
		const preview = page.getByTestId('message-preview');
		await expect.poll(() => preview.textContent()).toMatch(receivedText('Aisha Rahman'));
		expect(await page.getByTestId('template-problems').count()).toBe(0);

		// The numbers' pacing sets the rhythm: the campaign adds no delay of its own.
		await page.getByLabel('Min delay (seconds)').fill('0');
		await page.getByLabel('Max delay (seconds)').fill('0');
		const { date, time } = zonedDateAndTime(Math.ceil((Date.now() + 10_000) / 1000) * 1000, timeZone);
		await page.getByLabel('Date').fill(date);
		await page.getByLabel('Time', { exact: true }).fill(time.length === 5 ? `${time}:00` : time);
		page.on('request', (request) => {
			if (/\/api\/campaigns\/[^/]+\/report/.test(request.url())) reportReads.push(new URL(request.url()).pathname);
		});
		await page.getByRole('button', { name: 'Schedule' }).click();
		await page.waitForURL(/\/campaigns\/[0-9a-f-]{36}$/);
		campaignId = page.url().split('/').at(-1)!;
	});

	it('watches the report on the campaign page count up live until the campaign completes', async () => {
		const reached = page.getByTestId('counter-reached');
		await expect.poll(() => reached.textContent()).toBe('0');
		expect(await page.getByTestId('campaign-status').getAttribute('data-campaign-status')).toBe('scheduled');

		// Every value the counter takes, as the page changes it.
		await reached.evaluate((element) => {
			const seen: string[] = [element.textContent!];
			(window as unknown as { reachedSeen: string[] }).reachedSeen = seen;
			new MutationObserver(() => seen.push(element.textContent!)).observe(element, { childList: true, characterData: true, subtree: true });
		});
		await expect.poll(() => page.getByTestId('campaign-status').getAttribute('data-campaign-status'), RUNNING).toBe('completed');
		expect(await reached.textContent()).toBe(String(CONTACTS.length));
		expect(await page.getByTestId('counter-should-send').textContent()).toBe(String(CONTACTS.length));
		expect(await page.getByTestId('counter-failed').locator('.tile-value').textContent()).toBe('0');

		const seen = (await page.evaluate(() => (window as unknown as { reachedSeen: string[] }).reachedSeen)).map(Number);
		expect(seen.toSorted((a, b) => a - b), 'the counter only grows').toEqual(seen);
		expect([seen[0], seen.at(-1)]).toEqual([0, CONTACTS.length]);
		// Two numbers, one message each every two seconds: the page showed the count between the first and the last message more than once.
		const between = new Set(seen.filter((value) => value > 0 && value < CONTACTS.length));
		expect(between.size, `values seen: ${seen.join(', ')}`).toBeGreaterThanOrEqual(2);
		// Live by events: the page read the report once, when it opened.
		expect(reportReads).toEqual([`/api/campaigns/${campaignId}/report`]);

		expect((await page.getByTestId('device-row').getByRole('rowheader').allTextContents()).toSorted()).toEqual(DEVICES.toSorted());
	}, 60_000);

	it('opens Demo contacts: each contact got one message with its own name, from the number of its lead’s device', async () => {
		await nav().getByRole('link', { name: 'Demo contacts' }).click();
		const cards = page.getByTestId('demo-contact');
		await expect.poll(() => cards.count()).toBe(CONTACTS.length);
		for (const name of CONTACTS) {
			const messages = cards.filter({ has: page.getByRole('heading', { name, exact: true }) }).getByTestId('demo-message');
			await expect.poll(() => messages.count()).toBe(1);
			expect(await messages.getByTestId('demo-message-text').textContent()).toMatch(receivedText(name));
			expect(await messages.textContent()).toContain(`From ${phoneOf[deviceOf[name]]} ·`);
		}
		expect(await page.getByTestId('demo-message').count()).toBe(CONTACTS.length);
	});
});

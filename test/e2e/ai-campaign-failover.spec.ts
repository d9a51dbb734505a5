import { describe, expect, it } from 'vitest';
import { zonedDateAndTime } from '../../services/shared/zoned-time.ts';
import { browserTestsEnabled, registerThroughForm } from '../helpers/browser.ts';
import { demoTestbed, linkedDemoDevice } from '../helpers/demo.ts';

describe.runIf(browserTestsEnabled())('in the demo, an AI campaign spreads the pool over two numbers and one of them fails', () => {
	const bed = demoTestbed();

	it('pool from the demo contacts → a number made to fail → the campaign runs → its row says Failed and the other number sent everything', async () => {
		const { node, page } = bed;
		await registerThroughForm(page, node.url, { name: 'Oskar', email: 'oskar@example.com' });
		const failing = await linkedDemoDevice(page, node.url, 'Demo A');
		await linkedDemoDevice(page, node.url, 'Demo B');
		const nav = page.getByRole('navigation', { name: 'Main' });

		// Demo A's messages are refused from now on.
		await nav.getByRole('link', { name: 'Demo contacts' }).click();
		await page.getByLabel('Number', { exact: true }).selectOption({ label: 'Demo A' });
		await page.getByLabel('What happens').selectOption('fail-sends');
		await page.getByRole('button', { name: 'Apply' }).click();
		await page.getByText('Demo A: refuse its messages').waitFor();

		await nav.getByRole('link', { name: 'AI leads' }).click();
		await page.getByRole('button', { name: /Add the 12 demo contacts/ }).click();
		await expect.poll(() => page.getByTestId('import-created').textContent()).toBe('12');
		await expect.poll(() => page.getByTestId('ai-lead-row').count()).toBe(12);

		await nav.getByRole('link', { name: 'AI campaigns' }).click();
		await page.getByRole('link', { name: 'New AI campaign' }).click();
		await page.getByLabel('Title').fill('Pool welcome');
		await page.getByLabel('Niche').fill('demo');
		await page.getByLabel('Message', { exact: true }).fill('Hello {name}, a word from us.');
		await page.getByLabel('Most leads one number takes').fill('12');
		await page.getByLabel('Min delay (seconds)').fill('0');
		await page.getByLabel('Max delay (seconds)').fill('0');
		// A minute ago in the user's zone: it starts at once.
		const timeZone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
		const { date, time } = zonedDateAndTime(Date.now() - 60_000, timeZone);
		await page.getByLabel('Date').fill(date);
		await page.getByLabel('Time', { exact: true }).fill(time.length === 5 ? `${time}:00` : time);
		await page.getByRole('button', { name: 'Schedule' }).click();

		await page.getByRole('heading', { name: 'Pool welcome' }).waitFor();
		const status = page.getByTestId('ai-campaign-status');
		await expect.poll(() => status.textContent(), { timeout: 60_000 }).toContain('Completed');
		const rows = page.getByTestId('ai-device-row');
		const failedRow = rows.filter({ hasText: 'Demo A' });
		await expect.poll(() => failedRow.textContent()).toContain('Failed');
		// Three in a row fail it; one more may already have been on its way.
		expect(await failedRow.textContent()).toMatch(/[34] failed in a row/);
		// Demo B sent all twelve: the failed number's leads went to it.
		expect(await rows.filter({ hasText: 'Demo B' }).locator('td').nth(3).textContent()).toBe('12');
		const received = await (await page.request.get(`${node.url}/api/demo/contacts/60123450012/messages`)).json();
		expect(received.map((m: { text: string; from: string }) => [m.text, m.from])).toEqual([['Hello Linh Nguyen, a word from us.', expect.not.stringContaining(failing.phone)]]);
	}, 120_000);
});

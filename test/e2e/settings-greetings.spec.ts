import { describe, expect, it } from 'vitest';
import { GREETING_SETS } from '../../services/shared/greetings.ts';
import { browserTestbed, browserTestsEnabled, openBrowser, registerThroughForm } from '../helpers/browser.ts';

describe.runIf(browserTestsEnabled())('a user edits the greeting sets in Settings, live in a second tab, and the campaign editor greets with them', () => {
	const bed = browserTestbed();

	it('edits rows, sees the server’s errors next to the row, saves, resets, and the other tab follows', async () => {
		const page = await bed.browser.context.newPage();
		await registerThroughForm(page, bed.node.url, { name: 'Lina', email: 'lina@example.com' });
		const second = await bed.browser.context.newPage();
		await second.goto(`${bed.node.url}/settings`);
		await second.locator('[data-testid="connection-state"][data-state="live"]').waitFor();
		await page.goto(`${bed.node.url}/settings`);

		const english = page.getByRole('group', { name: 'English' });
		const line = (n: number) => english.getByLabel(`Greeting (line ${n})`, { exact: true });
		const hour = (n: number) => english.getByLabel(`From (line ${n})`, { exact: true });
		await expect.poll(() => line(2).inputValue()).toBe(GREETING_SETS.en[1].text);
		await expect.poll(() => english.getByText('The set Fleetcast ships.').count()).toBe(1);
		expect(await english.getByRole('button', { name: /^Remove line/ }).count()).toBe(GREETING_SETS.en.length);
		expect(await page.getByRole('button', { name: 'Reset to default' }).first().isDisabled()).toBe(true);

		await line(2).fill('Rise and shine {first_name}!');
		await english.getByRole('button', { name: 'Add a line' }).click();
		await hour(5).selectOption('12');
		await line(5).fill('Lunch} {name}');
		await page.getByRole('button', { name: 'Save English greetings' }).click();
		await expect.poll(() => english.locator('.field-error').allTextContents()).toEqual([
			'Line 3 already starts at 12:00; choose another hour.',
			'This "}" closes nothing: add its "{" or remove it.',
		]);
		expect(await line(5).getAttribute('aria-invalid')).toBe('true');
		expect(await hour(5).getAttribute('aria-invalid')).toBe('true');
		// Nothing typed was lost, and nothing was saved.
		expect(await line(2).inputValue()).toBe('Rise and shine {first_name}!');
		expect(await line(5).inputValue()).toBe('Lunch} {name}');
		expect(await second.getByRole('group', { name: 'English' }).getByLabel('Greeting (line 2)', { exact: true }).inputValue()).toBe(GREETING_SETS.en[1].text);

		await hour(5).selectOption('21');
		await line(5).fill('Good night {name},');
		await page.getByRole('button', { name: 'Save English greetings' }).click();
		await expect.poll(() => page.getByRole('status').filter({ hasText: 'English greetings saved.' }).count()).toBe(1);
		expect(await english.locator('.field-error').count()).toBe(0);
		await expect.poll(() => english.getByText('Your own set.').count()).toBe(1);

		// The other tab never reloaded: the new set came over its WebSocket.
		const otherEnglish = second.getByRole('group', { name: 'English' });
		await expect.poll(() => otherEnglish.getByLabel('Greeting (line 2)', { exact: true }).inputValue()).toBe('Rise and shine {first_name}!');
		await expect.poll(() => otherEnglish.getByLabel('Greeting (line 5)', { exact: true }).inputValue()).toBe('Good night {name},');
		expect(await otherEnglish.getByLabel('From (line 5)', { exact: true }).inputValue()).toBe('21');

		await page.getByRole('button', { name: 'Reset to default' }).first().click();
		await expect.poll(() => page.getByRole('status').filter({ hasText: 'English greetings are back to the default.' }).count()).toBe(1);
		expect(await line(2).inputValue()).toBe(GREETING_SETS.en[1].text);
		expect(await english.getByRole('button', { name: /^Remove line/ }).count()).toBe(GREETING_SETS.en.length);
		await expect.poll(() => otherEnglish.getByLabel('Greeting (line 2)', { exact: true }).inputValue()).toBe(GREETING_SETS.en[1].text);
		await second.close();
	});

	it('the campaign editor’s preview greets with the tenant’s own Malay set', async () => {
		const page = await bed.browser.context.newPage();
		await page.goto(`${bed.node.url}/settings`);
		const malay = page.getByRole('group', { name: 'Malay' });
		await malay.getByLabel('Greeting (line 1)', { exact: true }).waitFor();
		// One line: it holds all day, so the preview does not depend on the hour.
		while ((await malay.getByRole('button', { name: /^Remove line/ }).count()) > 1) await malay.getByRole('button', { name: /^Remove line/ }).last().click();
		await malay.getByLabel('Greeting (line 1)', { exact: true }).fill('Salam sejahtera {first_name},');
		await page.getByRole('button', { name: 'Save Malay greetings' }).click();
		await expect.poll(() => page.getByRole('status').filter({ hasText: 'Malay greetings saved.' }).count()).toBe(1);

		await page.goto(`${bed.node.url}/campaigns/new`);
		await page.getByLabel('Greeting', { exact: true }).selectOption('ms');
		await page.getByLabel('Message', { exact: true }).fill('Kasut baru sudah tiba!');
		await expect.poll(() => page.getByTestId('message-preview').textContent()).toBe('Salam sejahtera Aisha,\n\nKasut baru sudah tiba!');
		expect(await page.getByRole('option', { name: /^Malay \(your greetings/ }).count()).toBe(1);
		await page.close();
	});

	it('the greetings card fits a phone-sized screen without sideways scrolling', async () => {
		const phone = await openBrowser({ width: 375, height: 740 });
		try {
			const page = await phone.context.newPage();
			await registerThroughForm(page, bed.node.url, { name: 'Pat', email: 'pat@example.com' });
			await page.goto(`${bed.node.url}/settings`);
			await page.getByRole('group', { name: 'English' }).getByLabel('Greeting (line 1)', { exact: true }).waitFor();
			const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
			expect(overflow).toBeLessThanOrEqual(0);
		} finally {
			await phone.close();
		}
	});
});

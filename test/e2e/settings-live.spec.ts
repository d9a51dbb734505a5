import { describe, expect, it } from 'vitest';
import { browserTestbed, browserTestsEnabled, openBrowser, registerThroughForm } from '../helpers/browser.ts';

describe.runIf(browserTestsEnabled())('a user signs up, changes the time zone and sees it live in a second tab', () => {
	const bed = browserTestbed();

	it('register → login → change time zone → second page updates live → logout', async () => {
		const { context } = bed.browser;
		const page = await context.newPage();
		await registerThroughForm(page, bed.node.url, { name: 'Nadia', email: 'nadia@example.com' });
		await expect.poll(() => page.getByTestId('user-name').textContent()).toContain('Nadia');

		// Sign out and back in, through the login form.
		await page.getByRole('button', { name: 'Sign out' }).click();
		await page.waitForURL(/\/login$/);
		await page.getByLabel('Email').fill('nadia@example.com');
		await page.getByLabel('Password').fill('a long enough password');
		await page.getByRole('button', { name: 'Sign in' }).click();
		await expect.poll(() => page.getByTestId('connection-state').getAttribute('data-state')).toBe('live');

		const second = await context.newPage();
		await second.goto(`${bed.node.url}/settings`);
		await expect.poll(() => second.getByTestId('connection-state').getAttribute('data-state')).toBe('live');

		await page.goto(`${bed.node.url}/settings`);
		await page.getByLabel('Time zone', { exact: true }).selectOption('Asia/Kuala_Lumpur');
		await page.getByRole('button', { name: 'Save time zone' }).click();
		await expect.poll(() => page.getByTestId('current-timezone').textContent()).toBe('Asia/Kuala_Lumpur');
		// The other tab never reloaded: the change came over its WebSocket.
		await expect.poll(() => second.getByTestId('current-timezone').textContent(), { timeout: 5000 }).toBe('Asia/Kuala_Lumpur');

		await page.getByRole('button', { name: 'Sign out' }).click();
		await page.waitForURL(/\/login$/);
		const me = await page.request.get(`${bed.node.url}/api/me`);
		expect(me.status()).toBe(401);
	});

	it('fits a phone-sized screen without sideways scrolling', async () => {
		const phone = await openBrowser({ width: 375, height: 740 });
		try {
			const page = await phone.context.newPage();
			await registerThroughForm(page, bed.node.url, { name: 'Pat', email: 'pat@example.com' });
			const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
			expect(overflow).toBeLessThanOrEqual(0);
		} finally {
			await phone.close();
		}
	});
});

import type { Request } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserTestsEnabled, registerThroughForm } from '../helpers/browser.ts';
import { demoTestbed, linkedDemoDevice } from '../helpers/demo.ts';

describe.runIf(browserTestsEnabled())('in demo mode a user adds the demo contacts as leads and reads what a campaign sent them', () => {
	const bed = demoTestbed();

	it('link a device with the demo phone → add demo contacts as leads → a campaign → each contact shows the message', async () => {
		const { node, page } = bed;
		await registerThroughForm(page, node.url, { name: 'Nadia', email: 'nadia@example.com' });
		const api = (method: 'post' | 'patch', route: string, data?: object) => page.request[method](`${node.url}${route}`, { data });

		const { phone } = await linkedDemoDevice(page, node.url, 'Demo KL');

		const nav = page.getByRole('navigation', { name: 'Main' });
		await expect.poll(() => nav.getByRole('link', { name: 'Demo contacts' }).count()).toBe(1);
		const contactReads: string[] = [];
		const countContactReads = (request: Request) => void (new URL(request.url()).pathname === '/api/demo/contacts' && contactReads.push(request.url()));
		page.on('request', countContactReads);
		await nav.getByRole('link', { name: 'Leads', exact: true }).click();
		await page.getByRole('button', { name: 'Add demo contacts as leads' }).click();
		const report = page.getByTestId('import-report');
		await expect.poll(() => report.getByTestId('import-created').textContent()).toBe('12');
		expect(await report.getByTestId('import-rejected').textContent()).toBe('0');
		// Read once for the page (its sample file uses them too), not again for the button.
		expect(contactReads).toHaveLength(1);
		page.off('request', countContactReads);
		await expect.poll(() => page.getByTestId('lead-row').count()).toBe(12);
		expect(await page.getByTestId('lead-row').filter({ hasText: 'Aisha Rahman' }).textContent()).toContain('Demo KL');

		await nav.getByRole('link', { name: 'Demo contacts' }).click();
		const aisha = page.getByTestId('demo-contact').filter({ hasText: 'Aisha Rahman' });
		await expect.poll(() => aisha.textContent()).toContain('Nothing received yet.');

		const campaign = await api('post', '/api/campaigns', {
			title: 'Demo hello',
			niche: 'demo',
			scheduledAt: new Date().toISOString(),
			message: 'Hello {name}, <b>not markup</b>',
			minDelaySeconds: 0,
			maxDelaySeconds: 0,
		});
		expect(campaign.status()).toBe(201);

		// No reload: the page reads the double again while it is open.
		const message = aisha.getByTestId('demo-message');
		await expect.poll(() => message.count(), { timeout: 30_000 }).toBe(1);
		expect(await message.getByTestId('demo-message-text').textContent()).toBe('Hello Aisha Rahman, <b>not markup</b>');
		expect(await message.locator('b').count()).toBe(0);
		expect(await message.textContent()).toContain(`From +${phone}`);
		await expect.poll(() => page.getByTestId('demo-message').count(), { timeout: 30_000 }).toBe(12);
	}, 120_000);
});

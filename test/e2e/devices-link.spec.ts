import { describe, expect, it } from 'vitest';
import { browserTestbed, browserTestsEnabled, registerThroughForm } from '../helpers/browser.ts';
import { demoNode } from '../helpers/demo.ts';
import { DEVICE_NODE_SERVICES } from '../helpers/devices.ts';

describe.runIf(browserTestsEnabled())('a user adds a device and links it with the demo phone from the dashboard', () => {
	const bed = browserTestbed(db => demoNode(db, DEVICE_NODE_SERVICES));

	it('register → Devices → add → Pair → QR shows → demo phone scans it → the card turns online', async () => {
		const page = await bed.browser.context.newPage();
		await registerThroughForm(page, bed.node.url, { name: 'Nadia', email: 'nadia@example.com' });

		await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
		await page.getByTestId('add-device-name').fill('Sales KL 1');
		await page.getByTestId('add-device-submit').click();
		const card = page.getByTestId('device-card').filter({ hasText: 'Sales KL 1' });
		await expect.poll(() => card.getAttribute('data-status')).toBe('new');

		await card.getByTestId('pair-button').click();
		const dialog = page.getByRole('dialog');
		await expect.poll(() => dialog.getByTestId('pair-qr').getAttribute('data-qr'), { timeout: 20_000 }).toMatch(/\S/);
		await expect.poll(() => card.getByTestId('device-status').textContent()).toContain('Pairing');

		await dialog.getByTestId('demo-link-button').click();
		await expect.poll(() => card.getAttribute('data-status'), { timeout: 30_000 }).toBe('online');
		// The modal closed by itself and said so; the card shows the phone that linked.
		await expect.poll(() => dialog.count()).toBe(0);
		await expect.poll(() => page.getByRole('status').filter({ hasText: 'is linked and online' }).count()).toBe(1);
		await expect.poll(() => card.textContent()).toMatch(/\+\d{6,}/);
	}, 90_000);
});

import { describe, expect, it } from 'vitest';
import { browserTestbed, browserTestsEnabled, registerThroughForm } from '../helpers/browser.ts';
import { CAMPAIGN_NODE_SERVICES } from '../helpers/campaigns.ts';
import { Client } from '../helpers/http.ts';

/** Markup that runs code wherever a page puts it into the document as HTML. */
const PAYLOAD = `<img src=x onerror="window.__injected=1">`;

describe.runIf(browserTestsEnabled())('what users type is shown as text on every page, never run as markup', () => {
	const bed = browserTestbed(() => ({ services: CAMPAIGN_NODE_SERVICES }));

	it('shows a device, a lead and a campaign named with markup as the characters typed, and runs none of it', async () => {
		await registerThroughForm(bed.page, bed.node.url, { name: PAYLOAD, email: 'markup@example.com' });
		const client = new Client(bed.node.url);
		client.cookie = (await bed.browser.context.cookies(bed.node.url)).map(c => `${c.name}=${c.value}`).join('; ');
		const { body: device } = await client.post('/api/devices', { name: `Shop ${PAYLOAD}` });
		expect((await client.post('/api/leads', { deviceId: device.id, phone: '+60123456789', name: `Aisha ${PAYLOAD}`, niches: [PAYLOAD], notes: PAYLOAD })).status).toBe(201);
		const { body: campaign } = await client.post('/api/campaigns', { title: `Sale ${PAYLOAD}`, scheduledAt: new Date(Date.now() + 3_600_000).toISOString(), message: `Hi {name} ${PAYLOAD}`, draft: true });
		expect(campaign.id).toBeDefined();

		for (const [path, shown] of [
			['/devices', `Shop ${PAYLOAD}`],
			['/leads', `Aisha ${PAYLOAD}`],
			['/campaigns', `Sale ${PAYLOAD}`],
			[`/campaigns/${campaign.id}`, `Sale ${PAYLOAD}`],
		] as const) {
			await bed.page.goto(`${bed.node.url}${path}`);
			await expect.poll(() => bed.page.getByText(shown, { exact: false }).count(), { timeout: 10_000 }).toBeGreaterThan(0);
			expect([path, await bed.page.evaluate(() => (window as unknown as { __injected?: number }).__injected)]).toEqual([path, undefined]);
			expect([path, await bed.page.locator('img[src="x"]').count()]).toEqual([path, 0]);
		}
	});
});

import { describe, expect, it } from 'vitest';
import { browserTestsEnabled, registerThroughForm } from '../helpers/browser.ts';
import { demoTestbed, linkedDemoDevice } from '../helpers/demo.ts';

describe.runIf(browserTestsEnabled())('a user builds a 3-step sequence in the grid and watches its report fill in', () => {
	const bed = demoTestbed();

	it('new sequence → three steps with their waits → a lead gets the trigger → the report counts the steps as they go', async () => {
		const { node, page } = bed;
		await registerThroughForm(page, node.url, { name: 'Nadia', email: 'nadia@example.com' });
		const device = await linkedDemoDevice(page, node.url, 'Demo KL');

		const nav = page.getByRole('navigation', { name: 'Main' });
		await nav.getByRole('link', { name: 'Sequences' }).click();
		await page.getByRole('link', { name: 'New sequence' }).click();
		await page.getByLabel('Name').fill('Onboarding');
		await page.getByLabel('Trigger', { exact: true }).fill('onboard');
		await page.getByLabel('Shortest pause after a step (s)').fill('0');
		await page.getByLabel('Longest pause (s)').fill('0');

		await page.getByLabel('Message').fill('Welcome {name}!');
		await page.getByTestId('add-step').click();
		await page.getByLabel('Message').fill('Step two');
		await page.getByLabel('Wait after the previous step').fill('2');
		await page.getByLabel('Unit').selectOption('seconds');
		await page.getByTestId('add-step').click();
		await page.getByLabel('Message').fill('Step three');
		await page.getByLabel('Wait after the previous step').fill('1');
		await page.getByLabel('Unit').selectOption('seconds');
		expect(await page.getByTestId('step-cell').allTextContents()).toEqual(['1 now', '2 2 s', '3 1 s']);
		// Dragged onto the second cell, the third step goes there with its wait; "Move later" puts it back.
		const cells = page.getByTestId('step-cell');
		await cells.nth(2).dragTo(cells.nth(1));
		expect(await cells.allTextContents()).toEqual(['1 now', '2 1 s', '3 2 s']);
		expect(await page.getByLabel('Message').inputValue()).toBe('Step three');
		await page.getByRole('button', { name: 'Move later' }).click();
		expect(await cells.allTextContents()).toEqual(['1 now', '2 2 s', '3 1 s']);
		await cells.nth(1).click();
		expect(await page.getByLabel('Message').inputValue()).toBe('Step two');
		await page.getByRole('button', { name: 'Create sequence' }).click();

		await page.getByRole('heading', { name: 'Onboarding' }).waitFor();
		await expect.poll(() => page.getByTestId('step-row').count()).toBe(3);

		// Diego (who does not answer by himself) gets the trigger: the report fills in live.
		const lead = await page.request.post(`${node.url}/api/leads`, { data: { deviceId: device.id, phone: '+60123450004', name: 'Diego', triggers: ['onboard'] } });
		expect(lead.status()).toBe(201);
		const totals = page.getByTestId('sequence-totals');
		await expect.poll(() => totals.textContent(), { timeout: 30_000 }).toContain('1completed');
		await expect.poll(() => totals.textContent()).toContain('100%done');
		const received = await (await page.request.get(`${node.url}/api/demo/contacts/60123450004/messages`)).json();
		expect(received.map((m: { text: string }) => m.text)).toEqual(['Welcome Diego!', 'Step two', 'Step three']);

		// The lead's dialog says where it stands.
		await nav.getByRole('link', { name: 'Leads', exact: true }).click();
		await page.getByRole('button', { name: 'Edit Diego' }).click();
		await expect.poll(() => page.getByTestId('lead-enrolment').textContent()).toMatch(/Onboarding:\s+completed/);
	}, 120_000);
});

import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserTestbed, browserTestsEnabled, registerThroughForm } from '../helpers/browser.ts';
import { LEAD_NODE_SERVICES } from '../helpers/leads.ts';

/** Rows 2-8 of the file (the header is row 1): three leads, one row merged into another, three refused. */
const CSV = [
	'name,phone,niche,target_status,triggers,device',
	'Siti,012-345 6789,Property;Loans,customer,welcome,Sales KL',
	'Ahmad,+60 13-222 3333,Cars,,,Sales JB',
	'Too Short,123,,,,Sales KL',
	'Lost,0123456780,,,,Nowhere',
	'Siti Again,012 345 6789,Travel,,,sales kl',
	'Bad Status,0123456781,,vip,,Sales KL',
	'Chen,0123456790,property,prospect,,Sales JB',
].join('\n');

describe.runIf(browserTestsEnabled())('a user imports leads from a CSV file and works with them on the Leads page', () => {
	// Batches of two leads, so the file's import reports progress more than once.
	const bed = browserTestbed(() => ({ services: LEAD_NODE_SERVICES, settings: { leads: { importBatchSize: 2 } } }));
	const devices: Record<string, string> = {};

	const rows = () => bed.page.getByTestId('lead-row');
	const rowOf = (name: string) => rows().filter({ hasText: name });
	const filters = () => bed.page.getByRole('search', { name: 'Filter leads' });
	const pager = () => bed.page.getByRole('navigation', { name: 'Pages of leads' });
	const leadCount = () => pager().getByTestId('page-range');

	it('register → two devices → import with progress and a report of the refused rows → filter → edit → delete → export', async () => {
		await registerThroughForm(bed.page, bed.node.url, { name: 'Nadia', email: 'nadia@example.com' });

		// The same session as the page: Malaysian numbers may be typed without +60, and two unlinked devices.
		expect((await bed.page.request.patch(`${bed.node.url}/api/me/settings`, { data: { country: 'MY' } })).status()).toBe(200);
		for (const name of ['Sales KL', 'Sales JB']) {
			const res = await bed.page.request.post(`${bed.node.url}/api/devices`, { data: { name } });
			expect(res.status()).toBe(201);
			devices[name] = (await res.json()).id;
		}

		await bed.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Leads', exact: true }).click();
		await expect.poll(() => bed.page.getByText('No leads yet').count()).toBe(1);

		// The sample file is written in the page, for the user's first device.
		const [sample] = await Promise.all([bed.page.waitForEvent('download'), bed.page.getByRole('link', { name: 'Download a sample file' }).click()]);
		expect(sample.suggestedFilename()).toBe('fleetcast-leads-sample.csv');
		const sampleText = fs.readFileSync(await sample.path(), 'utf8');
		expect(sampleText.split('\r\n')[0]).toBe('name,phone,niche,target_status,triggers,device,notes');
		expect(sampleText).toContain("Siti Aminah,'+60 12-345 6789,Property;Loans,prospect,welcome,Sales KL,");

		// The server's answer is held back until the bar is full: only the progress events can have filled it.
		let release!: () => void;
		const released = new Promise<void>((resolve) => (release = resolve));
		await bed.page.route('**/api/leads/import*', async (route) => {
			const response = await route.fetch();
			await released;
			await route.fulfill({ response });
		});
		await bed.page.getByLabel('CSV file', { exact: true }).setInputFiles({ name: 'leads.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
		const progress = bed.page.getByTestId('import-progress');
		await expect.poll(() => progress.getAttribute('data-total')).toBe('7');
		await expect.poll(() => progress.getAttribute('data-processed')).toBe('7');
		expect(await progress.textContent()).toContain('7 of 7 rows');
		expect(await bed.page.getByTestId('import-report').count()).toBe(0);
		release();

		const report = bed.page.getByTestId('import-report');
		await expect.poll(() => report.count()).toBe(1);
		expect(await report.getByTestId('import-created').textContent()).toBe('3');
		expect(await report.getByTestId('import-updated').textContent()).toBe('0');
		expect(await report.getByTestId('import-merged').textContent()).toBe('1');
		expect(await report.getByTestId('import-rejected').textContent()).toBe('3');
		expect(await report.getByTestId('rejected-row').allTextContents()).toEqual([
			'4123"123" is too short for Malaysia.',
			'50123456780You have no device named or with the id "Nowhere".',
			'70123456781"vip" is not a target status: use prospect or customer.',
		]);
		await bed.page.unroute('**/api/leads/import*');

		// The good rows are in the table, the merged one folded into Siti's lead.
		await expect.poll(() => rows().count()).toBe(3);
		expect(await leadCount().textContent()).toContain('1–3 of 3 leads');
		const siti = rowOf('Siti Again');
		expect(await siti.textContent()).toContain('+60123456789');
		expect(await siti.getByRole('list', { name: 'Niches' }).getByRole('listitem').allTextContents()).toEqual(['Property', 'Loans', 'Travel']);
		expect(await siti.textContent()).toContain('Sales KL');
		expect(await rowOf('Chen').textContent()).toContain('Sales JB');

		await filters().getByLabel('Device').selectOption({ label: 'Sales JB' });
		await expect.poll(() => rows().count()).toBe(2);
		expect(await rows().allTextContents()).toEqual([expect.stringContaining('Chen'), expect.stringContaining('Ahmad')]);
		await filters().getByLabel('Niche').fill('PROPERTY');
		await expect.poll(() => rows().count()).toBe(1);
		expect(await rows().first().textContent()).toContain('Chen');
		await filters().getByLabel('Device').selectOption({ label: 'All devices' });
		await expect.poll(() => rows().count()).toBe(2);
		expect(await rows().allTextContents()).toEqual([expect.stringContaining('Chen'), expect.stringContaining('Siti Again')]);
		await filters().getByLabel('Niche').fill('');
		await expect.poll(() => rows().count()).toBe(3);

		// A bad phone is refused next to the field, and the dialog keeps what was typed.
		await bed.page.getByRole('button', { name: 'Edit Ahmad' }).click();
		const dialog = bed.page.getByRole('dialog');
		await dialog.getByLabel('Phone').fill('123');
		await dialog.getByRole('button', { name: 'Save lead' }).click();
		await expect.poll(() => bed.page.locator('#lead-phone-error').textContent()).toBe('"123" is too short for Malaysia.');
		expect(await dialog.getByLabel('Phone').getAttribute('aria-invalid')).toBe('true');
		await dialog.getByLabel('Name').fill('Ahmad Zaki');
		await dialog.getByLabel('Phone').fill('013-999 8888');
		await dialog.getByLabel('Niches', { exact: true }).fill('Cars; Trucks, cars');
		await dialog.getByLabel('Opted out').check();
		await dialog.getByRole('button', { name: 'Save lead' }).click();
		await expect.poll(() => dialog.count()).toBe(0);
		const ahmad = rowOf('Ahmad Zaki');
		await expect.poll(() => ahmad.textContent()).toContain('+60139998888');
		expect(await ahmad.getByRole('list', { name: 'Niches' }).getByRole('listitem').allTextContents()).toEqual(['Cars', 'Trucks']);
		expect(await ahmad.getByTestId('opted-out').count()).toBe(1);

		await bed.page.getByRole('button', { name: 'Delete Chen' }).click();
		await bed.page.getByRole('dialog').getByRole('button', { name: 'Delete lead' }).click();
		await expect.poll(() => rows().count()).toBe(2);
		expect(await leadCount().textContent()).toContain('1–2 of 2 leads');

		const everything = await downloadExport(bed.page);
		expect(everything.split('\r\n')[0]).toBe('name,phone,niche,target_status,triggers,device,notes');
		// A leading + is a formula to a spreadsheet: the export guards it with a quote that an import takes off again.
		expect(everything).toContain("Siti Again,'+60123456789,Property;Loans;Travel,customer,welcome,Sales KL,");
		expect(everything).toContain("Ahmad Zaki,'+60139998888,Cars;Trucks,prospect,,Sales JB,");
		expect(everything).not.toContain('0123456790');

		// The export follows the filters on screen.
		await filters().getByLabel('Device').selectOption({ label: 'Sales JB' });
		await expect.poll(() => rows().count()).toBe(1);
		const filtered = await downloadExport(bed.page);
		expect(filtered.trim().split('\r\n')).toEqual(['name,phone,niche,target_status,triggers,device,notes', "Ahmad Zaki,'+60139998888,Cars;Trucks,prospect,,Sales JB,"]);
		await filters().getByLabel('Device').selectOption({ label: 'All devices' });
		await expect.poll(() => rows().count()).toBe(2);
	}, 90_000);

	it('shows a lead created and one opted out in another tab at once, without a reload', async () => {
		const before = await rows().count();
		const created = await bed.page.request.post(`${bed.node.url}/api/leads`, { data: { deviceId: devices['Sales KL'], phone: '+60 12-777 8888', name: 'From Another Tab' } });
		expect(created.status()).toBe(201);
		await expect.poll(() => rowOf('From Another Tab').count()).toBe(1);
		expect(await rows().count()).toBe(before + 1);
		// Newest first.
		expect(await rows().first().textContent()).toContain('From Another Tab');

		const siti = (await (await bed.page.request.get(`${bed.node.url}/api/leads?q=Siti`)).json()).items[0];
		expect((await bed.page.request.patch(`${bed.node.url}/api/leads/${siti.id}`, { data: { optedOut: true } })).status()).toBe(200);
		await expect.poll(() => rowOf('Siti Again').getByTestId('opted-out').count()).toBe(1);
	});

	it('shows the webhook address once, takes a lead posted to it live, rotates the key and turns the webhook off', async () => {
		const panel = bed.page.getByRole('region', { name: 'Lead webhook' });
		await expect.poll(() => panel.getByTestId('webhook-status').textContent()).toBe('No webhook key yet.');
		await panel.getByRole('button', { name: 'Create key' }).click();
		const address = (await panel.getByTestId('webhook-url').textContent())!;
		expect(address).toMatch(new RegExp(`^${bed.node.url}/api/webhooks/leads/fcl_[\\w-]{20,}$`));
		expect(await panel.getByTestId('webhook-status').textContent()).toContain('A key is active since');

		// Another system, with no session: the lead arrives in the open list by itself.
		const posted = await fetch(address, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ device: 'Sales JB', phone: '0198887777', name: 'Web Form', niches: 'Solar;Roofs' }) });
		expect(posted.status).toBe(200);
		const row = rowOf('Web Form');
		await expect.poll(() => row.count()).toBe(1);
		expect(await row.getByRole('list', { name: 'Niches', exact: true }).getByRole('listitem').allTextContents()).toEqual(['Solar', 'Roofs']);

		await panel.getByRole('button', { name: 'I have saved it' }).click();
		expect(await panel.getByTestId('webhook-url').count()).toBe(0);

		// Rotating asks first, then shows the new address once; the old one stops working.
		const post = (url: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ device: 'Sales JB', phone: '0198887777' }) });
		const dialog = bed.page.getByRole('dialog');
		await panel.getByRole('button', { name: 'Rotate key' }).click();
		expect(await dialog.textContent()).toContain('The current key stops working at once.');
		await dialog.getByRole('button', { name: 'Rotate key' }).click();
		await expect.poll(() => panel.getByTestId('webhook-url').count()).toBe(1);
		expect(await dialog.count()).toBe(0);
		const rotated = (await panel.getByTestId('webhook-url').textContent())!;
		expect(rotated).not.toBe(address);
		expect((await post(address)).status).toBe(404);
		expect((await post(rotated)).status).toBe(200);
		await panel.getByRole('button', { name: 'I have saved it' }).click();

		await panel.getByRole('button', { name: 'Delete key' }).click();
		expect(await dialog.textContent()).toContain('Forms and programs posting leads with it stop working.');
		await dialog.getByRole('button', { name: 'Delete key' }).click();
		await expect.poll(() => panel.getByTestId('webhook-status').textContent()).toBe('No webhook key yet.');
		expect(await dialog.count()).toBe(0);
		expect((await post(rotated)).status).toBe(404);
	});

	it('reads the list again when the live connection comes back, so a lead created while it was down shows', async () => {
		const leadEvents: string[] = [];
		bed.page.on('websocket', (socket) => socket.on('framereceived', ({ payload }) => void (String(payload).includes('"lead.created"') && leadEvents.push(String(payload)))));
		const { id: userId } = await (await bed.page.request.get(`${bed.node.url}/api/me`)).json();
		const gateway = bed.node.broker.getLocalService('gateway') as unknown as { sockets: { closeWhere(userId: string, match: () => boolean): void } };

		// Offline, the page cannot connect again; the server drops the socket it had.
		await bed.browser.context.setOffline(true);
		gateway.sockets.closeWhere(userId, () => true);
		await expect.poll(() => bed.page.getByTestId('connection-state').getAttribute('data-state')).not.toBe('live');
		const created = await bed.node.broker.call('leads.create', { deviceId: devices['Sales KL'], phone: '+60 12-666 5555', name: 'While Away' }, { meta: { user: { id: userId } } });
		expect(created).toMatchObject({ name: 'While Away' });

		await bed.browser.context.setOffline(false);
		await expect.poll(() => bed.page.getByTestId('connection-state').getAttribute('data-state')).toBe('live');
		await expect.poll(() => rowOf('While Away').count()).toBe(1);
		// It came from reading the list again: its event was sent while no socket was there to hear it.
		expect(leadEvents.filter((frame) => frame.includes('While Away'))).toEqual([]);
		// The new socket does hear what happens next.
		expect((await bed.page.request.post(`${bed.node.url}/api/leads`, { data: { deviceId: devices['Sales KL'], phone: '+60 12-666 4444', name: 'After Return' } })).status()).toBe(201);
		await expect.poll(() => leadEvents.some((frame) => frame.includes('After Return'))).toBe(true);
	});

	it('pages through more leads than fit on one page, with the total', async () => {
		const csv = ['name,phone,device', ...Array.from({ length: 60 }, (_, i) => `Bulk ${i + 1},+60 12-500 ${String(i + 1).padStart(4, '0')},Sales KL`)].join('\n');
		await bed.page.getByLabel('CSV file', { exact: true }).setInputFiles({ name: 'bulk.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
		await expect.poll(() => bed.page.getByTestId('import-created').textContent()).toBe('60');
		const { total } = await (await bed.page.request.get(`${bed.node.url}/api/leads?pageSize=1`)).json();
		expect(total).toBeGreaterThan(60);

		await expect.poll(() => leadCount().textContent()).toBe(`1–50 of ${total} leads`);
		expect(await rows().count()).toBe(50);
		await pager().getByRole('button', { name: 'Next' }).click();
		await expect.poll(() => leadCount().textContent()).toBe(`51–${total} of ${total} leads`);
		expect(await rows().count()).toBe(total - 50);
		expect(await pager().getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
		await pager().getByRole('button', { name: 'Previous' }).click();
		await expect.poll(() => leadCount().textContent()).toBe(`1–50 of ${total} leads`);
		// Newest first: the last rows of the file are on the first page.
		expect(await rowOf('Bulk 60').count()).toBe(1);
	});
});

/** Clicks Export and answers the downloaded file's text. */
async function downloadExport(page: Page): Promise<string> {
	const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-leads').click()]);
	const file = await download.path();
	return fs.readFileSync(file, 'utf8');
}

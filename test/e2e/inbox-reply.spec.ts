import { describe, expect, it } from 'vitest';
import { browserTestsEnabled, registerThroughForm } from '../helpers/browser.ts';
import { testImage } from '../helpers/campaigns.ts';
import { demoTestbed, linkedDemoDevice } from '../helpers/demo.ts';

describe.runIf(browserTestsEnabled())('a demo contact writes, the chat pops up with a badge, and the user answers with text and a dropped photo', () => {
	const bed = demoTestbed();

	it('write as Diego → badge in the menu → open the chat → reply with Enter → drop a photo with a caption → Diego has both', async () => {
		const { node, page } = bed;
		await registerThroughForm(page, node.url, { name: 'Nadia', email: 'nadia@example.com' });
		await linkedDemoDevice(page, node.url, 'Demo KL');

		// Diego writes from the Demo contacts page; his text carries markup that must stay text.
		const nav = page.getByRole('navigation', { name: 'Main' });
		await nav.getByRole('link', { name: 'Demo contacts' }).click();
		const diego = page.getByTestId('demo-contact').filter({ hasText: 'Diego Alvarez' });
		await diego.getByLabel('Message from Diego Alvarez').fill('Hi! <b>Is</b> the *blue* one still available?');
		await diego.getByRole('button', { name: 'Send as Diego' }).click();
		await diego.getByRole('status').filter({ hasText: 'Sent.' }).waitFor();

		// The menu counts it, live.
		await expect.poll(() => nav.getByTestId('nav-unread').textContent(), { timeout: 15_000 }).toBe('1');
		await nav.getByRole('link', { name: /Inbox/ }).click();
		const number = page.getByTestId('inbox-number').filter({ hasText: 'Demo KL' });
		await expect.poll(() => number.textContent()).toContain('1 unread');
		await number.click();
		const row = page.getByTestId('chat-row').filter({ hasText: 'Diego Alvarez' });
		await expect.poll(() => row.textContent()).toContain('Hi! <b>Is</b> the *blue* one still available?');
		await row.click();

		const conversation = page.getByTestId('conversation');
		const first = conversation.getByTestId('chat-message').first();
		await expect.poll(() => first.getByTestId('chat-message-text').textContent()).toBe('Hi! <b>Is</b> the blue one still available?');
		expect(await first.locator('b').count()).toBe(0);
		expect(await first.locator('.fmt-bold').textContent()).toBe('blue');
		// Reading the chat clears the badge.
		await expect.poll(() => nav.getByTestId('nav-unread').count(), { timeout: 10_000 }).toBe(0);

		// Shift+Enter breaks the line; Enter sends.
		const box = conversation.getByLabel('Message');
		await box.fill('Yes, it is!');
		await box.press('Shift+Enter');
		await box.pressSequentially('Shall I send a photo?');
		await box.press('Enter');
		const reply = conversation.getByTestId('chat-message').filter({ hasText: 'Shall I send a photo?' });
		await expect.poll(() => reply.getByTestId('chat-message-text').textContent()).toBe('Yes, it is!\nShall I send a photo?');
		await expect.poll(() => reply.locator('[data-status]').getAttribute('data-status'), { timeout: 15_000 }).toMatch(/^(sent|delivered|read)$/);

		// A photo dropped on the conversation shows its preview; the text becomes its caption.
		const png = (await testImage(320, 240)).toString('base64');
		await conversation.evaluate((target, data) => {
			const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
			const transfer = new DataTransfer();
			transfer.items.add(new File([bytes], 'blue-shoes.png', { type: 'image/png' }));
			target.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
			target.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
		}, png);
		await conversation.getByTestId('composer-image').waitFor();
		await conversation.getByLabel('Caption').fill('The blue one');
		await conversation.getByLabel('Caption').press('Enter');
		const photo = conversation.getByTestId('chat-message').filter({ hasText: 'The blue one' });
		await photo.locator('img').waitFor();

		// Diego's phone has both.
		const received = async () => (await (await page.request.get(`${node.url}/api/demo/contacts/60123450004/messages`)).json()) as { text: string | null; image: unknown }[];
		await expect.poll(async () => (await received()).map((m) => [m.text, Boolean(m.image)]), { timeout: 20_000 }).toEqual([
			['Yes, it is!\nShall I send a photo?', false],
			['The blue one', true],
		]);
	}, 120_000);
});

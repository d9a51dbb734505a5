import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkClient, WhatsAppDouble, type DoubleClient } from './index.ts';

describe('a number that is not on WhatsApp', () => {
	const double = new WhatsAppDouble();
	const phone = double.addAccount();
	const contact = double.addContact();
	const stranger = '15559990000';
	let client: DoubleClient;

	beforeAll(async () => {
		client = await linkClient(await double.start(), phone);
	});
	afterAll(async () => {
		await client.end();
		await double.stop();
	});

	it('onWhatsApp answers for the contact and not for the stranger', async () => {
		const found = await client.socket.onWhatsApp(contact.phone, stranger);
		expect(found).toEqual([{ jid: contact.jid, exists: true }]);
	});

	it('a message to it is accepted by the server and goes nowhere', async () => {
		const sent = await client.socket.sendMessage(`${stranger}@s.whatsapp.net`, { text: 'anyone?' });
		const event = await double.waitFor('message.sent', e => e.id === sent!.key.id);
		expect(event.undeliverable).toBe(true);
	});
});

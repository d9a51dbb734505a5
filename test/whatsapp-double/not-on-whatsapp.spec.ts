import { describe, expect, it } from 'vitest';
import { linkedCompanion } from './fixture.ts';

describe('a number that is not on WhatsApp', () => {
	const bed = linkedCompanion();
	const { double } = bed;
	const contact = double.addContact();
	const stranger = '15559990000';

	it('onWhatsApp answers for the contact and not for the stranger', async () => {
		const found = await bed.client.socket.onWhatsApp(contact.phone, stranger);
		expect(found).toEqual([{ jid: contact.jid, exists: true }]);
	});

	it('a message to it is accepted by the server and goes nowhere', async () => {
		const sent = await bed.client.socket.sendMessage(`${stranger}@s.whatsapp.net`, { text: 'anyone?' });
		const event = await double.waitFor('message.sent', e => e.id === sent!.key.id);
		expect(event.undeliverable).toBe(true);
	});
});

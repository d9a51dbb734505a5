import { describe, expect, it } from 'vitest';
import { linkedCompanion } from './fixture.ts';

describe('text between a linked Baileys client and contacts, end to end encrypted', () => {
	const bed = linkedCompanion({ phone: '15550002001' });
	const { double, phone } = bed;

	const delivered = (id: string) => double.events.list('message.delivered').find(e => e.id === id)?.encryption;
	const incoming = (id: string) => bed.client.waitFor(() => bed.client.messages.find(m => m.key.id === id));

	it('a contact decrypts what Baileys sends to its number: pkmsg until it answers, msg after', async () => {
		const contact = double.addContact({ name: 'Alice' });
		const first = await bed.client.socket.sendMessage(contact.jid, { text: 'hello contact' });
		const second = await bed.client.socket.sendMessage(contact.jid, { text: 'second one' });
		await contact.waitForMessage(m => m.id === second!.key.id);
		expect(contact.received()[0]).toMatchObject({ id: first!.key.id, text: 'hello contact', fromPhone: phone.phone, from: bed.client.jid, addressedTo: contact.jid });
		const reply = await contact.sendText(phone, 'got it');
		await incoming(reply);
		expect(delivered(reply)).toBe('msg');
		const third = await bed.client.socket.sendMessage(contact.jid, { text: 'third' });
		await contact.waitForMessage(m => m.id === third!.key.id);
		expect(contact.received().map(m => [m.text, m.encryption])).toEqual([
			['hello contact', 'pkmsg'],
			['second one', 'pkmsg'],
			['third', 'msg'],
		]);
		// every send is also encrypted for the account's own primary phone
		expect(phone.received().map(m => m.text)).toEqual(['hello contact', 'second one', 'third']);
	});

	it('Baileys decrypts a first message (pkmsg) and a follow-up (msg) from a new contact', async () => {
		const contact = double.addContact({ name: 'Bob' });
		const id1 = await contact.sendText(phone, 'hello baileys');
		const first = await incoming(id1);
		expect(first.message?.conversation).toBe('hello baileys');
		expect(first.key).toMatchObject({ remoteJid: contact.lidJid, remoteJidAlt: contact.jid, fromMe: false });
		expect(first.pushName).toBe('Bob');
		const answer = await bed.client.socket.sendMessage(first.key.remoteJid!, { text: 'hi Bob' });
		await contact.waitForMessage(m => m.id === answer!.key.id);
		const id2 = await contact.sendText(phone, 'follow-up');
		expect((await incoming(id2)).message?.conversation).toBe('follow-up');
		expect([delivered(id1), delivered(id2)]).toEqual(['pkmsg', 'msg']);
		await double.waitFor('receipt.sent', e => e.ids.includes(id2));
	});
});

import { proto } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { linkedCompanion } from './fixture.ts';

const { DELIVERY_ACK, READ } = proto.WebMessageInfo.Status;

describe('receipts and presence between Baileys and a contact', () => {
	const bed = linkedCompanion();
	const { double, phone } = bed;
	const contact = double.addContact({ name: 'Carol' });

	it('the contact delivers on arrival and reads on demand; Baileys sees DELIVERY_ACK then READ', async () => {
		const sent = await bed.client.socket.sendMessage(contact.jid, { text: 'did you get this?' });
		const id = sent!.key.id!;
		// Baileys may fold the delivery into its own buffered copy of the message rather than emit an update
		expect(await bed.client.waitForStatus(id, DELIVERY_ACK)).toBe(DELIVERY_ACK);
		contact.markRead([id]);
		const read = await bed.client.waitFor(() => bed.client.updates.find(u => u.key.id === id && u.update.status === READ));
		expect(read.key).toMatchObject({ remoteJid: contact.jid, fromMe: true });
	});

	it('Baileys marks an incoming message read; the double records the read receipt', async () => {
		const id = await contact.sendText(phone, 'read me');
		const message = await bed.client.waitFor(() => bed.client.messages.find(m => m.key.id === id));
		await bed.client.socket.readMessages([message.key]);
		const receipt = await double.waitFor('receipt.sent', e => e.ids.includes(id) && e.receiptType === 'read');
		expect(receipt.to).toBe(contact.lidJid);
	});

	it("the contact's presence and typing reach Baileys", async () => {
		await bed.client.socket.presenceSubscribe(contact.lidJid);
		await double.waitFor('presence.sent', e => e.presence === 'subscribe' && e.to === contact.lidJid);
		contact.setPresence(phone, 'available');
		contact.typing(phone);
		await bed.client.waitFor(() => bed.client.presences.find(p => p.presences[contact.lidJid]?.lastKnownPresence === 'available'));
		await bed.client.waitFor(() => bed.client.presences.find(p => p.presences[contact.lidJid]?.lastKnownPresence === 'composing'));
	});

	it("Baileys' typing reaches the double", async () => {
		await bed.client.socket.sendPresenceUpdate('composing', contact.jid);
		await double.waitFor('chatstate.sent', e => e.to === contact.jid && e.state === 'composing');
	});
});

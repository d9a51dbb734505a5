import { proto } from '@whiskeysockets/baileys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkClient, WhatsAppDouble, type DoubleClient } from '../../services/whatsapp-double/index.ts';

describe("one account's companion writes to another account's companion", () => {
	const double = new WhatsAppDouble();
	const shop = double.addAccount({ name: 'Shop' });
	const customer = double.addAccount({ name: 'Customer' });
	let shopClient: DoubleClient;
	let customerClient: DoubleClient;

	beforeAll(async () => {
		const endpoint = await double.start();
		shopClient = await linkClient(endpoint, shop);
		customerClient = await linkClient(endpoint, customer);
	});
	afterAll(async () => {
		await Promise.all([shopClient.end(), customerClient.end()]);
		await double.stop();
	});

	it('the message is passed on, decrypted by the other Baileys, and its delivery comes back', async () => {
		const sent = await shopClient.socket.sendMessage(customer.jid, { text: 'your order shipped' });
		const id = sent!.key.id!;
		const received = await customerClient.waitFor(() => customerClient.messages.find(m => m.key.id === id));
		expect(received.message?.extendedTextMessage?.text ?? received.message?.conversation).toBe('your order shipped');
		expect(received.key.fromMe).toBe(false);
		expect(received.pushName).toBe('Shop');
		expect(await shopClient.waitForStatus(id, proto.WebMessageInfo.Status.DELIVERY_ACK)).toBeGreaterThanOrEqual(proto.WebMessageInfo.Status.DELIVERY_ACK);
		// the other account's primary phone gets its copy too
		expect(customer.received().map(m => m.id)).toContain(id);
	});
});

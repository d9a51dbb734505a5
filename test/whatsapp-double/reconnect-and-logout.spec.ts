import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DoubleClient, linkClient, WhatsAppDouble, type DoubleEndpoint } from '../../services/whatsapp-double/index.ts';

describe('a linked companion reconnects from stored creds, and logs out', () => {
	const double = new WhatsAppDouble();
	let endpoint: DoubleEndpoint;
	let client: DoubleClient;
	const phone = double.addAccount({ phone: '15550004001' });
	const contact = double.addContact();

	beforeAll(async () => {
		endpoint = await double.start();
		client = await linkClient(endpoint, phone);
	});
	afterAll(async () => {
		await client.end();
		await double.stop();
	});

	it('reconnects without a QR and gets what was sent while it was away', async () => {
		await client.end();
		await double.waitFor('socket.closed', e => e.device === client.jid);
		const id = await contact.sendText(phone, 'while you were away');
		const opened = client.openCount;
		client.connect();
		await client.waitForOpen(opened);
		expect(client.qrs).toHaveLength(1);
		expect(double.events.list('device.logged-in')).toHaveLength(2);
		const message = await client.waitFor(() => client.messages.find(m => m.key.id === id));
		expect(message.message?.conversation).toBe('while you were away');
		expect(double.events.list('message.delivered').find(e => e.id === id)?.offline).toBe(true);
	});

	it('logout() removes the device; logging in with the same creds afterwards gets 401', async () => {
		const closed = client.closes.length;
		await client.socket.logout();
		expect(await client.waitForClose(closed)).toBe(401);
		await double.waitFor('device.logged-out', e => e.device === client.jid);
		expect(phone.devices()).toEqual([]);
		client.connect();
		expect(await client.waitForClose(closed + 1)).toBe(401);
		expect(double.events.list('login.refused')).toEqual([expect.objectContaining({ reason: 401, phone: phone.phone })]);
	});
});

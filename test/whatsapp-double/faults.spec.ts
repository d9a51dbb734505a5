import { DisconnectReason, proto } from '@whiskeysockets/baileys';
import { afterEach, describe, expect, it } from 'vitest';
import { startedDouble } from './fixture.ts';
import { linkClient, type Phone } from '../../services/whatsapp-double/index.ts';

describe('faults on demand, and what Baileys reports', () => {
	const bed = startedDouble();
	const { double, clients } = bed;
	const contact = double.addContact();
	const linked = async (phone: Phone = double.addAccount(), config = {}) => {
		const client = await linkClient(bed.endpoint, phone, { config });
		clients.push(client);
		return client;
	};

	afterEach(() => double.faults.clear());

	it('a dropped connection closes the socket (428); the client reconnects fine', async () => {
		const client = await linked();
		const closed = client.closes.length;
		expect(double.faults.dropConnection(client.jid!)).toBe(1);
		expect(await client.waitForClose(closed)).toBe(DisconnectReason.connectionClosed);
		const opened = client.openCount;
		client.connect();
		await client.waitForOpen(opened);
	});

	it('a banned account is refused (403 forbidden), live and at every login, until unbanned', async () => {
		const phone = double.addAccount();
		const client = await linked(phone);
		const closed = client.closes.length;
		double.faults.ban(phone);
		expect(await client.waitForClose(closed)).toBe(DisconnectReason.forbidden);
		client.connect();
		expect(await client.waitForClose(closed + 1)).toBe(DisconnectReason.forbidden);
		double.faults.unban(phone);
		const opened = client.openCount;
		client.connect();
		await client.waitForOpen(opened);
	});

	it('rejected sends (463, reach-out timelock) come back to Baileys as ERROR, after any ack delay', async () => {
		const phone = double.addAccount();
		const client = await linked(phone);
		double.faults.rejectSends(phone, 463);
		double.faults.delayAcks(300);
		const started = Date.now();
		const sent = await client.socket.sendMessage(contact.jid, { text: 'new chat' });
		const error = await client.waitFor(() => client.updates.find(u => u.key.id === sent!.key.id && u.update.status === proto.WebMessageInfo.Status.ERROR));
		expect(Date.now() - started).toBeGreaterThanOrEqual(300);
		expect(error.update.messageStubParameters?.[0]).toBe('463');
		expect(contact.received().find(m => m.id === sent!.key.id)).toBeUndefined();
		double.faults.allowSends(phone);
		const next = await client.socket.sendMessage(contact.jid, { text: 'allowed again' });
		await contact.waitForMessage(m => m.id === next!.key.id);
	});

	it('a silent server (no pings answered) makes Baileys give up with connectionLost (408)', async () => {
		const phone = double.addAccount();
		const client = await linked(phone, { keepAliveIntervalMs: 500 });
		const closed = client.closes.length;
		double.faults.silence(phone);
		expect(await client.waitForClose(closed, 10_000)).toBe(DisconnectReason.connectionLost);
	}, 15_000);
});

import { proto } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { linkedCompanion } from './fixture.ts';

const { DELIVERY_ACK, READ } = proto.WebMessageInfo.Status;

describe('a receipt the companion never acked comes again at its next login, as WhatsApp sends missed receipts', () => {
	const bed = linkedCompanion();
	const { double, phone } = bed;
	const contact = double.addContact({ name: 'Dana' });

	it('replays the read receipt that went to a socket that was lost before it could ack it', async () => {
		const sent = await bed.client.socket.sendMessage(contact.jid, { text: 'see you at 3' });
		const id = sent!.key.id!;
		await bed.client.waitForStatus(id, DELIVERY_ACK);
		// The socket goes quiet (nothing reaches it, its acks are lost) just as the contact reads.
		double.faults.silence(phone);
		contact.markRead([id]);
		await new Promise(resolve => setTimeout(resolve, 300));
		expect(bed.client.statusOf(id)).toBeLessThan(READ);
		const closed = bed.client.closes.length;
		double.faults.dropConnection(phone);
		await bed.client.waitForClose(closed);
		double.faults.unsilence(phone);

		const opened = bed.client.openCount;
		bed.client.connect();
		await bed.client.waitForOpen(opened);
		expect(await bed.client.waitForStatus(id, READ)).toBe(READ);
	});
});

import { describe, expect, it } from 'vitest';
import { startedDouble } from './fixture.ts';
import { ConflictError, DoubleClient, linkClient } from '../../services/whatsapp-double/index.ts';

describe('two sockets logged in as the same companion at once', () => {
	const bed = startedDouble();
	const { double, clients } = bed;
	const phone = double.addAccount();

	it('is recorded as a conflict, and the older socket is replaced (440)', async () => {
		const first = await linkClient(bed.endpoint, phone);
		clients.push(first);
		double.assertNoConflicts();
		const second = new DoubleClient(bed.endpoint, { auth: first.auth });
		clients.push(second);
		const closed = first.closes.length;
		second.connect();
		await second.waitForOpen();
		expect(await first.waitForClose(closed)).toBe(440);
		expect(double.conflicts).toEqual([expect.objectContaining({ device: first.jid, sockets: [expect.any(Number), expect.any(Number)] })]);
		expect(() => double.assertNoConflicts()).toThrow(ConflictError);
	});

	it('a clean reconnect (old socket closed first) is not a conflict', async () => {
		const before = double.conflicts.length;
		const client = await linkClient(bed.endpoint, double.addAccount());
		clients.push(client);
		await client.end();
		await double.waitFor('socket.closed', e => e.device === client.jid);
		const opened = client.openCount;
		client.connect();
		await client.waitForOpen(opened);
		expect(double.conflicts).toHaveLength(before);
	});
});

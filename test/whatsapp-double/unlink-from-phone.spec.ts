import { describe, expect, it } from 'vitest';
import { linkedCompanion } from './fixture.ts';

describe('the phone unlinks a companion', () => {
	const bed = linkedCompanion();
	const { phone } = bed;

	it('the connected client is logged out (401) at once, and stays out', async () => {
		const closed = bed.client.closes.length;
		expect(phone.unlink(bed.client.jid!)).toBe(true);
		expect(await bed.client.waitForClose(closed)).toBe(401);
		expect(phone.devices()).toEqual([]);
		bed.client.connect();
		expect(await bed.client.waitForClose(closed + 1)).toBe(401);
	});
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkClient, WhatsAppDouble, type DoubleClient } from './index.ts';

describe('the phone unlinks a companion', () => {
	const double = new WhatsAppDouble();
	const phone = double.addAccount();
	let client: DoubleClient;

	beforeAll(async () => {
		client = await linkClient(await double.start(), phone);
	});
	afterAll(async () => {
		await client.end();
		await double.stop();
	});

	it('the connected client is logged out (401) at once, and stays out', async () => {
		const closed = client.closes.length;
		expect(phone.unlink(client.jid!)).toBe(true);
		expect(await client.waitForClose(closed)).toBe(401);
		expect(phone.devices()).toEqual([]);
		client.connect();
		expect(await client.waitForClose(closed + 1)).toBe(401);
	});
});

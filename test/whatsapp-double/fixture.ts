import { afterAll, beforeAll } from 'vitest';
import { linkClient, type DoubleClient } from './client.ts';
import type { NewAccount } from './people.ts';
import type { Phone } from './phone.ts';
import { WhatsAppDouble } from './server.ts';

export interface LinkedCompanion {
	double: WhatsAppDouble;
	phone: Phone;
	/** Linked in beforeAll. */
	client: DoubleClient;
}

/**
 * For one spec file: a double with one account whose companion a Baileys client links before the
 * tests (QR, 515, online); the client and the double are closed after them.
 */
export function linkedCompanion(account?: NewAccount): LinkedCompanion {
	const double = new WhatsAppDouble();
	const bed = { double, phone: double.addAccount(account) } as LinkedCompanion;
	beforeAll(async () => {
		bed.client = await linkClient(await double.start(), bed.phone);
	});
	afterAll(async () => {
		await bed.client?.end();
		await double.stop();
	});
	return bed;
}

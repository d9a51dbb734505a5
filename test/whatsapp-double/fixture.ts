import { afterAll, beforeAll } from 'vitest';
import { linkClient, type DoubleClient } from '../../services/whatsapp-double/client.ts';
import type { NewAccount } from '../../services/whatsapp-double/people.ts';
import type { Phone } from '../../services/whatsapp-double/phone.ts';
import { WhatsAppDouble, type DoubleEndpoint, type WhatsAppDoubleOptions } from '../../services/whatsapp-double/server.ts';

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

export interface StartedDouble {
	double: WhatsAppDouble;
	/** Set in beforeAll. */
	endpoint: DoubleEndpoint;
	/** Clients the tests open; each is ended after them. */
	clients: DoubleClient[];
}

/** For one spec file: a double started before the tests, its clients ended and the double stopped after them. */
export function startedDouble(options?: WhatsAppDoubleOptions): StartedDouble {
	const bed = { double: new WhatsAppDouble(options), clients: [] as DoubleClient[] } as StartedDouble;
	beforeAll(async () => {
		bed.endpoint = await bed.double.start();
	});
	afterAll(async () => {
		await Promise.all(bed.clients.map(client => client.end()));
		await bed.double.stop();
	});
	return bed;
}

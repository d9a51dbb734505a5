import { pnJid, Person, type AccountRecord } from './accounts.ts';
import type { LoginFlow } from './login.ts';
import type { Messaging, ReceivedMessage } from './messages.ts';
import type { OnlineDevices } from './online-devices.ts';
import type { Pairing } from './pairing.ts';

export interface LinkedDevice {
	device: string;
	deviceId: number;
	platform: string;
	linkedAt: number;
	online: boolean;
}

export interface PhoneServices {
	pairing: Pairing;
	login: LoginFlow;
	messaging: Messaging;
	online: OnlineDevices;
}

/**
 * An account as its owner holds it: the primary phone, which links companions (scanning their QR
 * or typing their pairing code), lists and unlinks them, and gets a copy of what they send.
 */
export class Phone extends Person {
	constructor(
		private readonly record: AccountRecord,
		private readonly services: PhoneServices,
	) {
		super(record);
	}

	/** Scan a companion's QR; resolves with the new device's JID once the companion confirmed. */
	scan(qr: string): Promise<string> {
		return this.services.pairing.scan(this.record, qr);
	}

	/** Type the 8-character code a companion shows after `requestPairingCode(thisNumber)`. */
	enterCode(code: string): Promise<string> {
		return this.services.pairing.enterCode(this.record, code);
	}

	/** Remove a linked device (by id or JID); a connected one is logged out at once. */
	unlink(device: number | string): boolean {
		const deviceId = typeof device === 'number' ? device : Number(device.split('@')[0].split(':')[1]);
		return this.services.login.unlink(this.record, deviceId);
	}

	devices(): LinkedDevice[] {
		return [...this.record.companions.values()].map(c => ({
			device: pnJid(this.record.phone, c.deviceId),
			deviceId: c.deviceId,
			platform: c.platform,
			linkedAt: c.linkedAt,
			online: this.services.online.companion(this.record, c.deviceId) !== undefined,
		}));
	}

	/** Copies of what its companions sent (each send is also encrypted for the primary phone). */
	received(): ReceivedMessage[] {
		return [...this.services.messaging.receivedBy(this.record.phone)];
	}

	toJSON() {
		return { phone: this.phone, lid: this.lid, name: this.name, jid: this.jid, lidJid: this.lidJid, devices: this.devices() };
	}
}

import { pnJid, type AccountRecord } from './accounts.ts';
import type { ConflictDetector } from './conflicts.ts';
import type { Connection } from './connection.ts';

const CONFLICT_REPLACED = { tag: 'conflict', attrs: { type: 'replaced' } };

/** The logged-in sockets, by companion device JID: where stanzas for a device are delivered. */
export class OnlineDevices {
	private readonly byDevice = new Map<string, Connection>();

	constructor(private readonly conflicts: ConflictDetector) {}

	/** A socket finished logging in; an older one for the same device is a conflict and is replaced. */
	add(connection: Connection): void {
		const device = connection.deviceJid!;
		const older = this.byDevice.get(device);
		this.byDevice.set(device, connection);
		if (older && older !== connection && older.isOpen) {
			this.conflicts.record(device, [older.id, connection.id]);
			older.streamError({}, CONFLICT_REPLACED);
		}
	}

	remove(connection: Connection): void {
		const device = connection.deviceJid;
		if (device && this.byDevice.get(device) === connection) this.byDevice.delete(device);
	}

	get(device: string): Connection | undefined {
		const connection = this.byDevice.get(device);
		return connection?.isOpen ? connection : undefined;
	}

	companion(account: AccountRecord, deviceId: number): Connection | undefined {
		return this.get(pnJid(account.phone, deviceId));
	}

	/** Every online socket of the account's companions. */
	ofAccount(account: AccountRecord): Connection[] {
		return [...account.companions.keys()].map(id => this.companion(account, id)).filter(c => c !== undefined);
	}

	all(): Connection[] {
		return [...this.byDevice.values()].filter(c => c.isOpen);
	}

	get size(): number {
		return this.byDevice.size;
	}
}

import type { Directory } from './accounts.ts';
import type { Connection } from './connection.ts';
import type { EventLog } from './events.ts';
import type { Faults } from './faults.ts';
import type { MediaStore } from './media.ts';
import type { OnlineDevices } from './online-devices.ts';

export interface DoubleSettings {
	/** How many QR refs a registering client gets (Baileys shows one after the other, then gives up with 408). */
	qrRefs: number;
	/** How long the first ref, then each next one, is accepted: Baileys shows them 60 s then 20 s each. */
	qrFirstRefMs: number;
	qrNextRefMs: number;
	/** A companion with fewer one-time pre-keys than this left on the server is asked to upload more. */
	preKeyLowWater: number;
}

/** What the protocol handlers share: the double's registries, its log, and how to reach the media host. */
export interface DoubleContext {
	readonly directory: Directory;
	readonly online: OnlineDevices;
	/** Every open socket, logged in or not (a registering client is only here). */
	readonly connections: Set<Connection>;
	readonly events: EventLog;
	readonly faults: Faults;
	readonly media: MediaStore;
	readonly settings: DoubleSettings;
	/** `host:port` of the media host, as `media_conn` hands it out. */
	mediaHost(): string;
	/** Something worth persisting changed (debounced save when a state file is configured). */
	changed(): void;
}

export const unixTime = () => String(Math.floor(Date.now() / 1000));

import type { EventLog } from './events.ts';

/** Two sockets authenticated as the same companion device at the same moment. */
export interface Conflict {
	device: string;
	at: number;
	/** The connection ids involved, oldest first. */
	sockets: number[];
}

export class ConflictError extends Error {
	constructor(readonly conflicts: Conflict[]) {
		super(`${conflicts.length} conflict(s): two sockets were logged in as one device at once: ${conflicts.map(c => c.device).join(', ')}`);
		this.name = 'ConflictError';
	}
}

/**
 * Records every time a second socket logs in as a device that already has one: the "conflict"
 * that two nodes driving the same WhatsApp session cause. The real server kicks the older socket
 * (440, `<conflict type="replaced"/>`); the double does too, and keeps the record so a test can
 * fail on it even though the clients recovered.
 */
export class ConflictDetector {
	private readonly found: Conflict[] = [];

	constructor(private readonly events: EventLog) {}

	record(device: string, sockets: number[]): Conflict {
		const conflict = { device, at: Date.now(), sockets };
		this.found.push(conflict);
		this.events.push({ type: 'conflict', device, sockets: sockets.length });
		return conflict;
	}

	list(): Conflict[] {
		return [...this.found];
	}

	assertNone(): void {
		if (this.found.length) throw new ConflictError(this.list());
	}

	clear(): void {
		this.found.length = 0;
	}
}

import type { proto } from '@whiskeysockets/baileys';

/** A device JID such as `15550001111:3@s.whatsapp.net`; `phone` is the account's number. */
export type DoubleEvent =
	| { type: 'socket.opened'; socketId: number }
	| { type: 'socket.closed'; socketId: number; device?: string }
	| { type: 'qr.refs-issued'; socketId: number; refs: string[] }
	| { type: 'pairing-code.requested'; socketId: number; phone: string }
	| { type: 'device.linked'; phone: string; device: string; method: 'qr' | 'code' }
	| { type: 'device.logged-in'; phone: string; device: string; socketId: number }
	| { type: 'login.refused'; phone?: string; device?: string; reason: number }
	| { type: 'device.logged-out'; phone: string; device: string }
	| { type: 'device.unlinked'; phone: string; device: string }
	| { type: 'prekeys.uploaded'; device: string; count: number }
	| { type: 'message.sent'; device: string; to: string; id: string; error?: number; undeliverable?: boolean }
	| { type: 'message.delivered'; device: string; from: string; id: string; encryption?: string; offline: boolean }
	| { type: 'contact.received'; contact: string; from: string; id: string; text?: string; message: proto.IMessage }
	| { type: 'decrypt.failed'; recipient: string; from: string; id: string; error: string }
	| { type: 'phone.received'; phone: string; from: string; id: string; message: proto.IMessage }
	| { type: 'receipt.sent'; device: string; to: string; ids: string[]; receiptType: string }
	| { type: 'presence.sent'; device: string; presence: string; to?: string }
	| { type: 'chatstate.sent'; device: string; to: string; state: string }
	| { type: 'media.uploaded'; path: string; bytes: number }
	| { type: 'media.downloaded'; path: string; found: boolean }
	| { type: 'conflict'; device: string; sockets: number }
	| { type: 'iq'; device?: string; xmlns: string; iqType: string; child?: string }
	/** A companion asked whether a number is on WhatsApp (a usync `contact` query), once per number asked. */
	| { type: 'number.checked'; device?: string; phone: string; onWhatsApp: boolean };

export type DoubleEventType = DoubleEvent['type'];
export type LoggedEvent = DoubleEvent & { seq: number; at: number };
export type EventOf<T extends DoubleEventType> = Extract<LoggedEvent, { type: T }>;

export class WaitTimeoutError extends Error {
	constructor(description: string, timeoutMs: number) {
		super(`Timed out after ${timeoutMs} ms waiting for ${description}`);
		this.name = 'WaitTimeoutError';
	}
}

/**
 * Everything the double saw and did, in order, for tests to wait on. Bounded (oldest events are
 * dropped) so a benchmark with thousands of devices does not grow it without end.
 */
export class EventLog {
	private events: LoggedEvent[] = [];
	private seq = 0;
	private readonly listeners = new Set<(event: LoggedEvent) => void>();

	constructor(private readonly capacity = 20_000) {}

	push(event: DoubleEvent): LoggedEvent {
		const logged = { ...event, seq: ++this.seq, at: Date.now() } as LoggedEvent;
		this.events.push(logged);
		if (this.events.length > this.capacity) this.events = this.events.slice(-Math.floor(this.capacity / 2));
		for (const listener of this.listeners) listener(logged);
		return logged;
	}

	list(): LoggedEvent[];
	list<T extends DoubleEventType>(type: T): EventOf<T>[];
	list(type?: DoubleEventType): LoggedEvent[] {
		return type ? this.events.filter(e => e.type === type) : [...this.events];
	}

	subscribe(listener: (event: LoggedEvent) => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	/**
	 * The first event (already logged with `seq > since`, or future) of `type` that matches; rejects
	 * after `timeoutMs`. Pass `since` (a seq you saw) to ignore older events.
	 */
	waitFor<T extends DoubleEventType>(
		type: T,
		match: (event: EventOf<T>) => boolean = () => true,
		{ timeoutMs = 15_000, since = 0 }: { timeoutMs?: number; since?: number } = {},
	): Promise<EventOf<T>> {
		const test = (e: LoggedEvent): e is EventOf<T> => e.type === type && e.seq > since && match(e as EventOf<T>);
		const found = this.events.find(test);
		if (found) return Promise.resolve(found);
		return waitUntil(resolve => this.subscribe(e => test(e) && resolve(e)), `event ${type}`, timeoutMs);
	}

	get lastSeq(): number {
		return this.seq;
	}
}

/** Resolves with the first value `watch` hands to its callback; `watch` returns its unsubscribe. */
export function waitUntil<T>(watch: (resolve: (value: T) => void) => () => void, description: string, timeoutMs: number): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		let unsubscribe = () => {};
		const timer = setTimeout(() => {
			unsubscribe();
			reject(new WaitTimeoutError(description, timeoutMs));
		}, timeoutMs);
		unsubscribe = watch(value => {
			clearTimeout(timer);
			unsubscribe();
			resolve(value);
		});
	});
}

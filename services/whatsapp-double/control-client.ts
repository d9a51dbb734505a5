import type { ReceivedMessage } from './messages.ts';
import type { DoubleEventType, EventOf, LoggedEvent } from './events.ts';
import type { AccountRef } from './faults.ts';
import type { NewAccount, NewContact } from './people.ts';
import type { DoubleEndpoint } from './server.ts';

/** A received message as the HTTP API returns it: the message as JSON, image bytes in base64. */
export type ReceivedJson = Omit<ReceivedMessage, 'message' | 'image'> & {
	message: Record<string, unknown>;
	image?: { bytes: string; mimetype?: string; caption?: string };
};

export interface PersonJson {
	phone: string;
	lid: string;
	name: string;
	jid: string;
	lidJid: string;
}

export class ControlRequestError extends Error {
	constructor(
		readonly status: number,
		message: string,
	) {
		super(message);
		this.name = 'ControlRequestError';
	}
}

const number = (target: AccountRef) => (typeof target === 'string' ? target : target.phone);

/**
 * Drives a double in another process over its HTTP control API, with the same verbs as the
 * in-process one: `addAccount().scan(qr)`, `contact.sendText(…)`, `faults.ban(…)`, `waitFor(…)`.
 */
export class DoubleControl {
	constructor(private readonly baseUrl: string) {}

	info(): Promise<DoubleEndpoint> {
		return this.call('GET', '/control/info');
	}

	async addAccount(account: NewAccount = {}): Promise<RemotePhone> {
		return new RemotePhone(this, await this.call<PersonJson>('POST', '/control/accounts', account));
	}

	async addContact(contact: NewContact = {}): Promise<RemoteContact> {
		return new RemoteContact(this, await this.call<PersonJson>('POST', '/control/contacts', contact));
	}

	/** Resolves with the first event of `type` whose fields equal those in `match` (long poll). */
	waitFor<T extends DoubleEventType>(type: T, match: Partial<EventOf<T>> = {}, options: { timeoutMs?: number; since?: number } = {}): Promise<EventOf<T>> {
		return this.call('POST', '/control/wait', { type, match, ...options });
	}

	events(type?: DoubleEventType, since = 0): Promise<LoggedEvent[]> {
		return this.call('GET', `/control/events?since=${since}${type ? `&type=${type}` : ''}`);
	}

	conflicts(): Promise<{ device: string; at: number; sockets: number[] }[]> {
		return this.call('GET', '/control/conflicts');
	}

	readonly faults = {
		dropConnection: (target: AccountRef) => this.call<{ dropped: number }>('POST', '/control/faults/drop', { target: number(target) }).then(r => r.dropped),
		ban: (target: AccountRef, reason?: number) => this.fault('ban', { target: number(target), reason }),
		unban: (target: AccountRef) => this.fault('unban', { target: number(target) }),
		rejectSends: (target: AccountRef, code?: number) => this.fault('reject-sends', { target: number(target), code }),
		allowSends: (target: AccountRef) => this.fault('allow-sends', { target: number(target) }),
		delayAcks: (ms: number) => this.fault('delay-acks', { ms }),
		silence: (target: AccountRef) => this.fault('silence', { target: number(target) }),
		unsilence: (target: AccountRef) => this.fault('unsilence', { target: number(target) }),
		clear: () => this.fault('clear', {}),
	};

	private async fault(name: string, body: Record<string, unknown>): Promise<void> {
		await this.call('POST', `/control/faults/${name}`, body);
	}

	async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
		const response = await fetch(new URL(path, this.baseUrl), {
			method,
			headers: body === undefined ? undefined : { 'content-type': 'application/json' },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const json = (await response.json()) as T & { error?: string };
		if (!response.ok) throw new ControlRequestError(response.status, json.error ?? response.statusText);
		return json;
	}
}

export class RemotePhone {
	constructor(
		private readonly control: DoubleControl,
		readonly info: PersonJson,
	) {}

	get phone(): string {
		return this.info.phone;
	}

	async scan(qr: string): Promise<string> {
		return (await this.control.call<{ device: string }>('POST', `/control/accounts/${this.phone}/scan`, { qr })).device;
	}

	async enterCode(code: string): Promise<string> {
		return (await this.control.call<{ device: string }>('POST', `/control/accounts/${this.phone}/code`, { code })).device;
	}

	async unlink(device: string): Promise<boolean> {
		return (await this.control.call<{ unlinked: boolean }>('POST', `/control/accounts/${this.phone}/unlink`, { device })).unlinked;
	}

	received(): Promise<ReceivedJson[]> {
		return this.control.call('GET', `/control/accounts/${this.phone}/received`);
	}
}

export class RemoteContact {
	constructor(
		private readonly control: DoubleControl,
		readonly info: PersonJson,
	) {}

	get phone(): string {
		return this.info.phone;
	}

	get jid(): string {
		return this.info.jid;
	}

	async sendText(to: AccountRef, text: string, options: { id?: string } = {}): Promise<string> {
		return (await this.control.call<{ id: string }>('POST', `/control/contacts/${this.phone}/text`, { to: number(to), text, ...options })).id;
	}

	async sendImage(to: AccountRef, image: { image: Buffer; mimetype?: string; caption?: string }, options: { id?: string } = {}): Promise<string> {
		const body = { to: number(to), image: image.image.toString('base64'), mimetype: image.mimetype, caption: image.caption, ...options };
		return (await this.control.call<{ id: string }>('POST', `/control/contacts/${this.phone}/image`, body)).id;
	}

	async markRead(ids?: string[]): Promise<void> {
		await this.control.call('POST', `/control/contacts/${this.phone}/read`, { ids });
	}

	async setPresence(to: AccountRef, presence: 'available' | 'unavailable'): Promise<void> {
		await this.control.call('POST', `/control/contacts/${this.phone}/presence`, { to: number(to), presence });
	}

	async typing(to: AccountRef, state: 'composing' | 'paused' | 'recording' = 'composing'): Promise<void> {
		await this.control.call('POST', `/control/contacts/${this.phone}/typing`, { to: number(to), state });
	}

	received(): Promise<ReceivedJson[]> {
		return this.control.call('GET', `/control/contacts/${this.phone}/received`);
	}
}

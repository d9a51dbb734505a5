import https from 'node:https';
import {
	initAuthCreds,
	makeWASocket,
	type AuthenticationState,
	type BaileysEventMap,
	type SignalDataSet,
	type SignalDataTypeMap,
	type UserFacingSocketConfig,
	type WAMessage,
	type WAMessageUpdate,
	type WASocket,
} from '@whiskeysockets/baileys';
import { quietLogger, trustServer, type WhatsAppServer } from '../devices/baileys-driver.ts';
import { waitUntil } from './events.ts';

/** What a Baileys client needs to know about a double (`double.endpoint`, or GET /control/info). */
export type DoubleAddress = WhatsAppServer;

/** Baileys wants a pino-like logger; this one says nothing. */
export const silentLogger = quietLogger;

/**
 * Make this process trust the double: its Noise root for the chat handshake and its CA for media
 * (certificate checks stay on). The same as Fleetcast's driver does for a configured double.
 */
export const trustDouble = trustServer;

/** The socket settings that point Baileys at the double; `overrides` win. */
export function doubleSocketConfig(address: DoubleAddress, auth: AuthenticationState, overrides: Partial<UserFacingSocketConfig> = {}): UserFacingSocketConfig {
	trustDouble(address);
	return {
		waWebSocketUrl: address.wsUrl,
		auth,
		logger: silentLogger,
		fetchAgent: new https.Agent({ ca: address.caCert }),
		// A fresh link would otherwise hold events for 20 s waiting for a history sync the double never sends.
		shouldSyncHistoryMessage: () => false,
		...overrides,
	};
}

/** Auth state kept in memory: survives sockets (reconnect from stored creds), not the process. */
export function memoryAuthState(): AuthenticationState {
	const store = new Map<string, unknown>();
	return {
		creds: initAuthCreds(),
		keys: {
			get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
				const found: { [id: string]: SignalDataTypeMap[T] } = {};
				for (const id of ids) {
					const value = store.get(`${type}:${id}`);
					if (value !== undefined) found[id] = value as SignalDataTypeMap[T];
				}
				return found;
			},
			set: async (data: SignalDataSet) => {
				for (const [type, values] of Object.entries(data)) {
					for (const [id, value] of Object.entries(values ?? {})) {
						if (value) store.set(`${type}:${id}`, value);
						else store.delete(`${type}:${id}`);
					}
				}
			},
		},
	};
}

const RESTART_REQUIRED = 515;

/**
 * A Baileys client for tests: one socket at a time over one auth state, reconnected when the
 * server asks for a restart (515, after linking), with what it saw recorded to wait on.
 */
export class DoubleClient {
	readonly auth: AuthenticationState;
	socket!: WASocket;
	readonly qrs: string[] = [];
	readonly closes: { code?: number; message?: string }[] = [];
	readonly messages: WAMessage[] = [];
	readonly updates: WAMessageUpdate[] = [];
	readonly presences: BaileysEventMap['presence.update'][] = [];
	private opens = 0;
	private qrsTaken = 0;
	private ended = false;
	private readonly closedSockets = new WeakSet<WASocket>();
	private readonly watchers = new Set<() => void>();

	constructor(
		private readonly address: DoubleAddress,
		private readonly options: { auth?: AuthenticationState; config?: Partial<UserFacingSocketConfig> } = {},
	) {
		this.auth = options.auth ?? memoryAuthState();
	}

	connect(): WASocket {
		this.ended = false;
		const socket = makeWASocket(doubleSocketConfig(this.address, this.auth, this.options.config));
		this.socket = socket;
		socket.ev.on('connection.update', update => {
			if (update.qr) this.qrs.push(update.qr);
			if (update.connection === 'open') this.opens++;
			if (update.connection === 'close') {
				const error = update.lastDisconnect?.error as { output?: { statusCode?: number }; message?: string } | undefined;
				const code = error?.output?.statusCode;
				this.closes.push({ code, message: error?.message });
				this.closedSockets.add(socket);
				if (code === RESTART_REQUIRED && !this.ended && this.socket === socket) this.connect();
			}
			this.notify();
		});
		socket.ev.on('messages.upsert', ({ messages }) => (this.messages.push(...messages), this.notify()));
		socket.ev.on('messages.update', updates => (this.updates.push(...updates), this.notify()));
		socket.ev.on('presence.update', presence => (this.presences.push(presence), this.notify()));
		return socket;
	}

	/** The user's JID once linked (`<phone>:<device>@s.whatsapp.net`). */
	get jid(): string | undefined {
		return this.auth.creds.me?.id;
	}

	/** Resolves with the first value `check` returns that is not undefined, re-checked on every event. */
	waitFor<T>(check: () => T | undefined, description = 'the client', timeoutMs = 15_000): Promise<T> {
		const now = check();
		if (now !== undefined) return Promise.resolve(now);
		return waitUntil(
			resolve => {
				const watcher = () => {
					const value = check();
					if (value !== undefined) resolve(value);
				};
				this.watchers.add(watcher);
				return () => this.watchers.delete(watcher);
			},
			description,
			timeoutMs,
		);
	}

	/** The next QR shown after `seen` QRs (default: any not yet returned by this method). */
	waitForQr(seen = this.qrsTaken, timeoutMs?: number): Promise<string> {
		return this.waitFor(() => this.qrs[seen], 'a QR code', timeoutMs).then(qr => ((this.qrsTaken = seen + 1), qr));
	}

	/** Waits for the socket to be open (counting opens, so it waits for the next one after `opened`). */
	waitForOpen(opened = 0, timeoutMs?: number): Promise<void> {
		return this.waitFor(() => (this.opens > opened ? true : undefined), 'the connection to open', timeoutMs).then(() => undefined);
	}

	get openCount(): number {
		return this.opens;
	}

	/** The status code of the next close after `closed` closes. */
	waitForClose(closed = this.closes.length, timeoutMs?: number): Promise<number | undefined> {
		return this.waitFor(() => (this.closes.length > closed ? { code: this.closes[closed].code } : undefined), 'the connection to close', timeoutMs).then(c => c.code);
	}

	/**
	 * The highest status Baileys reported for a message it sent: from updates, or merged into the
	 * message itself when a receipt arrived while its own upsert was still buffered.
	 */
	statusOf(id: string): number {
		const statuses = [
			...this.messages.filter(m => m.key.id === id).map(m => m.status ?? 0),
			...this.updates.filter(u => u.key.id === id).map(u => u.update.status ?? 0),
		];
		return Math.max(0, ...statuses);
	}

	waitForStatus(id: string, atLeast: number, timeoutMs?: number): Promise<number> {
		return this.waitFor(() => (this.statusOf(id) >= atLeast ? this.statusOf(id) : undefined), `status ${atLeast} for ${id}`, timeoutMs);
	}

	/**
	 * End the socket (no logout); the auth state stays for a later `connect()`. Resolves once Baileys
	 * reported the close, so a `connect()` after it cannot be mistaken for the old socket's close.
	 */
	end(): Promise<void> {
		this.ended = true;
		const socket = this.socket;
		if (!socket) return Promise.resolve();
		void socket.end(undefined);
		return this.waitFor(() => (this.closedSockets.has(socket) ? true : undefined), 'the socket to close').then(() => undefined);
	}

	private notify(): void {
		for (const watcher of [...this.watchers]) watcher();
	}
}

/** Anything that can scan a QR for an account: the in-process Phone, or the HTTP control client. */
export interface QrScanner {
	scan(qr: string): Promise<string>;
}

/** A new client linked to `phone` by QR and online (after its 515 restart). */
export async function linkClient(address: DoubleAddress, phone: QrScanner, options?: ConstructorParameters<typeof DoubleClient>[1]): Promise<DoubleClient> {
	const client = new DoubleClient(address, options);
	client.connect();
	await phone.scan(await client.waitForQr());
	await client.waitForOpen();
	return client;
}

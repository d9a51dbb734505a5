import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { BinaryNode } from '@whiskeysockets/baileys';
import { WebSocketServer } from 'ws';
import { Directory } from './accounts.ts';
import { defaultNoisePki, encodeCertChain, noisePkiFromJson, noisePkiToJson, type NoisePki } from './certificates.ts';
import { ConflictDetector, type Conflict } from './conflicts.ts';
import { Connection } from './connection.ts';
import type { Contact } from './contacts.ts';
import type { DoubleContext, DoubleSettings } from './context.ts';
import { ControlApi } from './control-http.ts';
import { EventLog, type DoubleEventType, type EventOf } from './events.ts';
import { Faults } from './faults.ts';
import { IqHandlers } from './iq-handlers.ts';
import { KeyAndUserQueries } from './key-and-user-queries.ts';
import { LoginFlow } from './login.ts';
import { MediaStore } from './media.ts';
import { Messaging } from './messages.ts';
import { OnlineDevices } from './online-devices.ts';
import { Pairing } from './pairing.ts';
import { People, type NewAccount, type NewContact } from './people.ts';
import type { Phone } from './phone.ts';
import { StateFile, type DoubleState } from './state-file.ts';
import { createTlsAuthority, type TlsAuthority } from './tls-authority.ts';
import { keepSignalKeysOutOfLogs } from '../shared/signal-logs.ts';

export interface WhatsAppDoubleOptions {
	host?: string;
	/** 0 (the default) picks a free port; read it back from `start()`. */
	port?: number;
	/** JSON file for accounts, linked companions, contacts and their Signal sessions. */
	statePath?: string;
	saveDebounceMs?: number;
	settings?: Partial<DoubleSettings>;
	/** How many events the log keeps before dropping the oldest half. */
	eventCapacity?: number;
}

/** What a client needs to reach and trust the double, in this process or another. */
export interface DoubleEndpoint {
	/** `http://host:port`: the control API; the same port serves `ws(s)://…/ws/chat` and media over HTTPS. */
	url: string;
	wsUrl: string;
	mediaHost: string;
	/** Base64 of the Noise root public key Baileys must trust (`WA_CERT_DETAILS.PUBLIC_KEY`). */
	noiseRootPublicKey: string;
	/** PEM of the CA that signed the media host's certificate. */
	caCert: string;
}

const DEFAULT_SETTINGS: DoubleSettings = { qrRefs: 6, qrFirstRefMs: 60_000, qrNextRefMs: 20_000, preKeyLowWater: 5 };
const TLS_HANDSHAKE = 0x16;

/**
 * A local WhatsApp server for the real Baileys client. One port serves the chat WebSocket
 * (`/ws/chat`, Noise + binary nodes), the media host (HTTPS, told apart by the first byte) and
 * the control API (`/control/…`).
 */
export class WhatsAppDouble {
	readonly events: EventLog;
	readonly faults: Faults;
	readonly media: MediaStore;
	private readonly directory: Directory;
	private readonly people: People;
	private readonly conflictDetector: ConflictDetector;
	private readonly online: OnlineDevices;
	private readonly connections = new Set<Connection>();
	private readonly noise: NoisePki;
	/** Signed once: XEdDSA signing in pure JS costs ~12 ms, too much to pay per connection. */
	private readonly certChain: Uint8Array;
	private readonly tls: TlsAuthority;
	private readonly stateFile: StateFile | undefined;
	private readonly messaging: Messaging;
	private readonly login: LoginFlow;
	private readonly pairing: Pairing;
	private readonly iqs: IqHandlers;
	private readonly control: ControlApi;
	private readonly httpServer: http.Server;
	private readonly httpsServer: https.Server;
	private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
	private listener: net.Server | undefined;
	private address: { host: string; port: number } | undefined;

	constructor(private readonly options: WhatsAppDoubleOptions = {}) {
		keepSignalKeysOutOfLogs();
		this.stateFile = options.statePath ? new StateFile(options.statePath, options.saveDebounceMs) : undefined;
		const saved = this.stateFile?.load();
		this.noise = saved ? noisePkiFromJson(saved.noise) : defaultNoisePki();
		this.certChain = encodeCertChain(this.noise);
		this.tls = createTlsAuthority(['127.0.0.1', 'localhost'], saved?.tls);
		this.directory = saved ? Directory.fromJSON(saved.directory) : new Directory();
		this.events = new EventLog(options.eventCapacity);
		this.conflictDetector = new ConflictDetector(this.events);
		this.online = new OnlineDevices(this.conflictDetector);
		this.faults = new Faults(this.directory, this.online, () => this.changed());
		this.media = new MediaStore(this.events, () => this.mediaHost());
		const context: DoubleContext = {
			directory: this.directory,
			online: this.online,
			connections: this.connections,
			events: this.events,
			faults: this.faults,
			media: this.media,
			settings: { ...DEFAULT_SETTINGS, ...options.settings },
			mediaHost: () => this.mediaHost(),
			changed: () => this.changed(),
		};
		this.messaging = new Messaging(context);
		this.login = new LoginFlow(context);
		this.pairing = new Pairing(context);
		this.iqs = new IqHandlers(context, this.login, this.pairing, new KeyAndUserQueries(context));
		this.people = new People(
			this.directory,
			{ directory: this.directory, messaging: this.messaging, media: this.media, events: this.events, pairing: this.pairing, login: this.login, online: this.online },
			() => this.changed(),
		);
		this.control = new ControlApi(this);
		const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
			if (!this.media.handle(req, res)) this.control.handle(req, res);
		};
		this.httpServer = http.createServer(onRequest);
		this.httpsServer = https.createServer({ key: this.tls.key, cert: this.tls.cert }, onRequest);
		for (const server of [this.httpServer, this.httpsServer]) server.on('upgrade', (req, socket, head) => this.upgrade(req, socket as net.Socket, head));
	}

	async start(): Promise<DoubleEndpoint> {
		const host = this.options.host ?? '127.0.0.1';
		const listener = net.createServer(socket => this.route(socket));
		await new Promise<void>((resolve, reject) => {
			listener.once('error', reject);
			listener.listen(this.options.port ?? 0, host, resolve);
		});
		this.listener = listener;
		this.address = { host, port: (listener.address() as net.AddressInfo).port };
		this.changed();
		return this.endpoint;
	}

	async stop(): Promise<void> {
		for (const connection of this.connections) connection.terminate();
		this.wss.close();
		this.httpServer.closeAllConnections();
		this.httpsServer.closeAllConnections();
		await new Promise<void>(resolve => (this.listener ? this.listener.close(() => resolve()) : resolve()));
		this.listener = undefined;
		await this.stateFile?.flush();
	}

	get endpoint(): DoubleEndpoint {
		if (!this.address) throw new Error('the double is not started');
		const { host, port } = this.address;
		return {
			url: `http://${host}:${port}`,
			wsUrl: `ws://${host}:${port}/ws/chat`,
			mediaHost: `${host}:${port}`,
			noiseRootPublicKey: this.noise.root.public.toString('base64'),
			caCert: this.tls.caCert,
		};
	}

	/** A fake account: its number, LID and primary phone (which links companions). */
	addAccount(account?: NewAccount): Phone {
		return this.people.addAccount(account);
	}

	/** A fake WhatsApp user with real Signal keys, for companions to message and be messaged by. */
	addContact(contact?: NewContact): Contact {
		return this.people.addContact(contact);
	}

	account(phone: string): Phone | undefined {
		return this.people.account(phone);
	}

	contact(phone: string): Contact | undefined {
		return this.people.contact(phone);
	}

	accounts(): Phone[] {
		return this.people.accounts();
	}

	contacts(): Contact[] {
		return this.people.contacts();
	}

	get conflicts(): Conflict[] {
		return this.conflictDetector.list();
	}

	/** Throws if two sockets were ever logged in as the same companion at once. */
	assertNoConflicts(): void {
		this.conflictDetector.assertNone();
	}

	waitFor<T extends DoubleEventType>(type: T, match?: (event: EventOf<T>) => boolean, options?: { timeoutMs?: number; since?: number }): Promise<EventOf<T>> {
		return this.events.waitFor(type, match, options);
	}

	/** JIDs of the companions logged in right now. */
	onlineDevices(): string[] {
		return this.online.all().map(c => c.deviceJid!);
	}

	/** Write the state file now (it is also written, debounced, after every change). */
	save(): Promise<void> {
		return this.stateFile?.flush() ?? Promise.resolve();
	}

	private mediaHost(): string {
		return this.address ? `${this.address.host}:${this.address.port}` : '127.0.0.1';
	}

	private changed(): void {
		this.stateFile?.schedule(() => this.snapshot());
	}

	private snapshot(): DoubleState {
		return { version: 1, noise: noisePkiToJson(this.noise), tls: { caCert: this.tls.caCert, caKey: this.tls.caKey }, directory: this.directory.toJSON() };
	}

	/** Plain HTTP/WebSocket or TLS on the same port: the first byte of a TLS connection is 0x16. */
	private route(socket: net.Socket): void {
		socket.once('data', first => {
			socket.pause();
			socket.unshift(first);
			(first[0] === TLS_HANDSHAKE ? this.httpsServer : this.httpServer).emit('connection', socket);
			process.nextTick(() => socket.resume());
		});
		socket.on('error', () => socket.destroy());
	}

	private upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
		if (!req.url?.startsWith('/ws/chat')) return void socket.destroy();
		this.wss.handleUpgrade(req, socket, head, ws => {
			const connection = new Connection(ws, this.noise.server, this.certChain, {
				onLogin: (c, payload) => this.login.onClientPayload(c, payload),
				onNode: (c, node) => this.onNode(c, node),
				onClose: c => this.onClose(c),
				onError: () => {},
			});
			this.connections.add(connection);
			this.events.push({ type: 'socket.opened', socketId: connection.id });
		});
	}

	private async onNode(connection: Connection, node: BinaryNode): Promise<void> {
		if (connection.silenced) return;
		switch (node.tag) {
			case 'iq':
				return this.iqs.handle(connection, node);
			case 'message':
				return this.messaging.onMessage(connection, node);
			case 'receipt':
				return this.messaging.onReceipt(connection, node);
			case 'ack':
				return this.messaging.onAck(connection, node);
			case 'presence':
				return this.messaging.onPresence(connection, node);
			case 'chatstate':
				return this.messaging.onChatstate(connection, node);
		}
	}

	private onClose(connection: Connection): void {
		this.connections.delete(connection);
		this.online.remove(connection);
		this.messaging.onClose(connection);
		this.pairing.onClose(connection);
		this.events.push({ type: 'socket.closed', socketId: connection.id, device: connection.deviceJid });
	}
}

import https from 'node:https';
import tls from 'node:tls';
import { DisconnectReason, makeWASocket, proto, WA_CERT_DETAILS, type AuthenticationState, type BinaryNode, type WAMessage, type WASocket } from '@whiskeysockets/baileys';
import { keepSignalKeysOutOfLogs } from '../shared/signal-logs.ts';
import { LeaseLostError, type AuthStateStore } from './auth-state.ts';
import { chatMessageOf } from './chat-messages.ts';
import type { NumberBook, NumberCheck } from './number-checks.ts';
import { NotOnWhatsAppError, NotSentError, RefusedError, type CloseReason, type ChatMessageSeen, type DriverHandlers, type LinkedAccount, type OutgoingMessage, type ReadKey, type Receipt, type WhatsAppDriver } from './whatsapp-driver.ts';

/**
 * A WhatsApp server other than WhatsApp's own: the WhatsApp double (`GET /control/info` on its
 * port gives these). Absent in production.
 */
export interface WhatsAppServer {
	wsUrl: string;
	/** The root key its Noise certificate chain is signed with (base64). */
	noiseRootPublicKey: string;
	/** PEM of the CA its media host's certificate is issued by. */
	caCert: string;
}

/** Baileys logs through a pino-like object; Fleetcast reports what matters from the actor instead. */
export const quietLogger = { level: 'silent', child: () => quietLogger, trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {} };

const addedCas = new Set<string>();
const CLOSE_TIMEOUT_MS = 5_000;
/** On a stop, how long messages still being read may take to be handed over. */
const REPORT_WAIT_MS = 10_000;
const CREDS_SAVE_ATTEMPTS = 4;
/** Ids of our own recent sends, whose copies the socket echoes back: the dispatcher reports those. */
const SENT_IDS_KEPT = 10_000;
/** How long a send waits for WhatsApp's server to take or refuse the message; without an answer it counts as taken (it left). */
const SERVER_ACK_WAIT_MS = 15_000;

/**
 * Trust a non-WhatsApp server for this process: Baileys checks the Noise chain against the
 * exported `WA_CERT_DETAILS.PUBLIC_KEY`, and media downloads use global fetch, which takes extra
 * roots only from Node's default CA list. Certificate checks stay on.
 */
export function trustServer(server: WhatsAppServer): void {
	WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(server.noiseRootPublicKey, 'base64');
	if (addedCas.has(server.caCert)) return;
	if (typeof tls.setDefaultCACertificates !== 'function') throw new Error('Trusting a WhatsApp double for media needs Node >= 22.19 (tls.setDefaultCACertificates).');
	addedCas.add(server.caCert);
	tls.setDefaultCACertificates([...tls.getCACertificates('default'), server.caCert]);
}

function closeReason(error: unknown, endedByUs: boolean): CloseReason {
	const boom = error as { output?: { statusCode?: number }; message?: string } | undefined;
	const code = boom?.output?.statusCode;
	const message = boom?.message ?? 'Connection closed';
	if (!boom && endedByUs) return { kind: 'ended', message: 'Closed by Fleetcast' };
	switch (code) {
		case DisconnectReason.restartRequired:
			return { kind: 'restart', code, message };
		// Not badSession (500): Baileys uses it for any stream error without a known reason.
		case DisconnectReason.loggedOut:
		case DisconnectReason.multideviceMismatch:
			return { kind: 'logged_out', code, message };
		case DisconnectReason.forbidden:
			return { kind: 'banned', code, message };
		case DisconnectReason.connectionReplaced:
			return { kind: 'conflict', code, message };
		case DisconnectReason.timedOut:
			if (message.includes('QR refs')) return { kind: 'pairing_expired', code, message: 'The QR code expired before it was scanned' };
			return { kind: 'lost', code, message };
		default:
			return { kind: 'lost', code, message };
	}
}

const { DELIVERY_ACK, READ } = proto.WebMessageInfo.Status;

function receiptOf(id: string | null | undefined, status: number | null | undefined): Receipt | undefined {
	if (!id || !status) return undefined;
	if (status >= READ) return { id, status: 'read' };
	if (status === DELIVERY_ACK) return { id, status: 'delivered' };
	return undefined;
}

function accountOf(user: { id: string; lid?: string } | undefined): LinkedAccount {
	if (!user?.id) throw new Error('Baileys opened a connection without an account');
	return { phone: user.id.split(/[:@]/)[0], jid: user.id, lid: user.lid ?? null };
}

/** One device's WhatsApp connection through Baileys, with its session in PostgreSQL. */
export class BaileysDriver implements WhatsAppDriver {
	private state?: AuthenticationState;
	private socket?: WASocket;
	private closed?: Promise<void>;
	private endedByUs = false;
	/** Creds writes in order: each writes the creds as they are when it runs. */
	private saving: Promise<void> = Promise.resolve();
	/** Chat messages are reported in the order they came, each batch once its photos are fetched. */
	/** Contacts' messages, reported in the order they came (each after its photo is fetched). */
	private reporting: Promise<void> = Promise.resolve();
	private reportsPending = 0;
	private readonly sentIds = new Set<string>();
	/** Sends waiting for the server's ack of their message, by message id: the ack's `error`, or none when it took it. */
	private readonly acks = new Map<string, (error: string | undefined) => void>();

	constructor(
		private readonly store: AuthStateStore,
		private readonly server?: WhatsAppServer,
		/** Told when the session could not be saved after retries. */
		private readonly onSaveFailure?: (err: Error) => void,
		/** Where answers about numbers are kept, so a number is looked up at most once a week. */
		private readonly numbers?: NumberBook,
	) {
		keepSignalKeysOutOfLogs();
		if (server) trustServer(server);
	}

	async connect(handlers: DriverHandlers): Promise<void> {
		// Loaded once: after a 515 restart the socket goes on with the creds Baileys just updated.
		this.state ??= await this.store.load();
		const state = this.state;
		this.endedByUs = false;
		const socket = makeWASocket({
			auth: state,
			logger: quietLogger as never,
			markOnlineOnConnect: false,
			syncFullHistory: false,
			shouldSyncHistoryMessage: () => false,
			generateHighQualityLinkPreview: false,
			...(this.server ? { waWebSocketUrl: this.server.wsUrl, fetchAgent: new https.Agent({ ca: this.server.caCert }) } : {}),
		});
		this.socket = socket;
		let resolveClosed!: () => void;
		this.closed = new Promise(resolve => (resolveClosed = resolve));
		socket.ev.on('creds.update', () => {
			this.saving = this.saving.then(() => this.saveCreds(state));
		});
		// The server's answer to each message we send: no `error` means it took it (Baileys emits nothing then).
		socket.ws.on('CB:ack,class:message', (node: BinaryNode) => {
			const settle = this.acks.get(node.attrs.id ?? '');
			if (settle) settle(node.attrs.error);
		});
		socket.ev.on('messages.upsert', ({ messages }) => {
			const receipts: Receipt[] = [];
			const chat: WAMessage[] = [];
			for (const message of messages) {
				// A receipt may arrive while Baileys still buffers our own copy: it then rides on that copy.
				const receipt = message.key.fromMe ? receiptOf(message.key.id, message.status) : undefined;
				if (receipt) receipts.push(receipt);
				if (message.key.fromMe && message.key.id && this.sentIds.delete(message.key.id)) continue;
				chat.push(message);
			}
			if (receipts.length) this.afterReports(() => handlers.receipts(receipts));
			if (!chat.length) return;
			this.reportsPending += 1;
			this.reporting = this.reporting.then(async () => {
				const seen = await Promise.all(chat.map(m => chatMessageOf(socket, m, quietLogger).catch(() => undefined)));
				const kept = seen.filter((m): m is ChatMessageSeen => Boolean(m));
				this.reportsPending -= 1;
				if (kept.length) handlers.messages(kept);
			});
		});
		socket.ev.on('messages.update', updates => {
			const receipts = updates.filter(u => u.key.fromMe).map(u => receiptOf(u.key.id, u.update.status));
			const known = receipts.filter((r): r is Receipt => Boolean(r));
			if (known.length) this.afterReports(() => handlers.receipts(known));
			// A contact's message read on the phone: it is read here too.
			const readElsewhere = updates.filter(u => !u.key.fromMe && u.key.id && (u.update.status ?? 0) >= READ).map(u => u.key.id!);
			if (readElsewhere.length) this.afterReports(() => handlers.readElsewhere(readElsewhere));
		});
		socket.ev.on('connection.update', update => {
			// Written before the close: whether it arrived is unknown, and it is not sent again.
			if (update.connection === 'close') this.settleAcks();
			if (this.socket !== socket) return;
			if (update.qr) handlers.qr(update.qr);
			if (update.connection === 'open') handlers.open(accountOf(socket.user));
			if (update.connection === 'close') {
				this.socket = undefined;
				resolveClosed();
				handlers.close(closeReason(update.lastDisconnect?.error, this.endedByUs));
			}
		});
	}

	/**
	 * Saves the creds, retrying a failed write a few times: creds lost right after linking would
	 * mean a new QR at the next restart. A lost lease fails for good; renewal stops this actor.
	 */
	private async saveCreds(state: AuthenticationState): Promise<void> {
		for (let attempt = 1; ; attempt++) {
			try {
				return await this.store.saveCreds(state.creds);
			} catch (err) {
				if (err instanceof LeaseLostError || attempt >= CREDS_SAVE_ATTEMPTS) {
					if (!(err instanceof LeaseLostError)) this.onSaveFailure?.(err as Error);
					return;
				}
				await new Promise(resolve => setTimeout(resolve, 500 * attempt));
			}
		}
	}

	async requestPairingCode(phone: string): Promise<string> {
		if (!this.socket) throw new Error('Not connected');
		return this.socket.requestPairingCode(phone);
	}

	async send(message: OutgoingMessage): Promise<void> {
		const socket = this.socket;
		if (!socket) throw new NotSentError('Not connected');
		try {
			const found = await this.lookUp(socket, message.to);
			if (!found.exists || !found.jid) throw new NotOnWhatsAppError(message.to);
			const content = message.image ? { image: message.image.data, mimetype: message.image.mimetype, caption: message.text } : { text: message.text };
			this.sentIds.add(message.id);
			if (this.sentIds.size > SENT_IDS_KEPT) this.sentIds.delete(this.sentIds.values().next().value!);
			const answered = this.serverAck(message.id);
			await socket.sendMessage(found.jid, content, { messageId: message.id }).catch(err => {
				answered.cancel();
				throw err;
			});
			const error = await answered.promise;
			if (error) throw new RefusedError(error);
		} catch (err) {
			// Baileys throws 428 "Connection Closed" only before the message is written to the socket.
			if ((err as { output?: { statusCode?: number } }).output?.statusCode === DisconnectReason.connectionClosed) throw new NotSentError((err as Error).message);
			throw err;
		}
	}

	/** Whether `phone` is on WhatsApp: the answer of the last days if there is one, else WhatsApp's (then kept). */
	private async lookUp(socket: WASocket, phone: string): Promise<NumberCheck> {
		const known = await this.numbers?.known(phone).catch(() => undefined);
		if (known) return known;
		const [found] = (await socket.onWhatsApp(phone)) ?? [];
		const check = { exists: Boolean(found?.exists), jid: found?.exists ? found.jid : null };
		await this.numbers?.remember(phone, check).catch(() => undefined);
		return check;
	}

	/** The socket is closing: sends waiting for an ack end now (what was written counts as taken; it is never sent again). */
	private settleAcks(): void {
		for (const settle of [...this.acks.values()]) settle(undefined);
	}

	/** Waits for the server's ack of one message: its error code, or undefined when it took it (or said nothing in time). */
	private serverAck(id: string): { promise: Promise<string | undefined>; cancel(): void } {
		let timer: NodeJS.Timeout | undefined;
		const done = () => {
			clearTimeout(timer);
			this.acks.delete(id);
		};
		const promise = new Promise<string | undefined>(resolve => {
			const settle = (error: string | undefined) => {
				done();
				resolve(error);
			};
			this.acks.set(id, settle);
			timer = setTimeout(() => settle(undefined), SERVER_ACK_WAIT_MS);
		});
		return { promise, cancel: done };
	}

	async typing(to: string, on: boolean): Promise<void> {
		const socket = this.socket;
		if (!socket) throw new NotSentError('Not connected');
		await socket.sendPresenceUpdate(on ? 'composing' : 'paused', `${to}@s.whatsapp.net`);
	}

	async markRead(keys: ReadKey[]): Promise<void> {
		const socket = this.socket;
		if (!socket) throw new NotSentError('Not connected');
		await socket.readMessages(keys.map(k => ({ remoteJid: k.remoteJid, id: k.id, fromMe: false })));
	}

	async logout(): Promise<void> {
		if (!this.socket) throw new Error('Not connected');
		const closed = this.closed!;
		await this.socket.logout();
		await this.untilClosed(closed);
	}

	/** Receipts and reads about a message never overtake the message (while its photo is fetched, they wait). */
	private afterReports(report: () => void): void {
		if (this.reportsPending === 0) report();
		else this.reporting = this.reporting.then(report);
	}

	async end(): Promise<void> {
		const socket = this.socket;
		if (!socket) return;
		this.endedByUs = true;
		const closed = this.closed!;
		void socket.end(undefined);
		this.settleAcks();
		await this.untilClosed(closed);
		// Contacts' messages still being read (a photo downloading) are handed over before the driver is gone.
		await Promise.race([this.reporting, new Promise(resolve => setTimeout(resolve, REPORT_WAIT_MS).unref())]);
	}

	/**
	 * Baileys reports the close through its event buffer; should that report never come, the
	 * socket is treated as closed after a while rather than blocking the actor's mailbox forever.
	 */
	private async untilClosed(closed: Promise<void>): Promise<void> {
		let timer: NodeJS.Timeout | undefined;
		const gaveUp = new Promise<void>(resolve => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)));
		await Promise.race([closed, gaveUp]);
		clearTimeout(timer);
		this.socket = undefined;
	}
}

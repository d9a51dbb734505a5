import type { DeviceStatus } from './device.entity.ts';
import type { ConnectLimiter } from './connect-limiter.ts';
import { NotOnWhatsAppError, NotSentError, RefusedError, type CloseReason, type ChatMessageSeen, type LinkedAccount, type OutgoingMessage, type ReadKey, type Receipt, type WhatsAppDriver } from './whatsapp-driver.ts';

export type StartMode = { kind: 'resume'; jitterMs?: number } | { kind: 'pair'; method: 'qr' } | { kind: 'pair'; method: 'code'; phone: string };

/** What the actor asks of its host; it never calls the broker itself. */
export interface ActorHost {
	/** Persists and announces a status change (with the account when it just opened). */
	status(status: DeviceStatus, reason: string | null, account?: LinkedAccount): Promise<void>;
	qr(qr: string | null): void;
	pairingCode(code: string): void;
	/** Forgets the stored session (logged out or pairing abandoned). */
	clearSession(): Promise<void>;
	receipts(receipts: Receipt[]): void;
	messages(messages: ChatMessageSeen[]): void;
	readElsewhere(ids: string[]): void;
	/** The actor reached a state without a socket (logged out, banned, gave up…): release its lease. */
	finished(): void;
	logger: { info(...args: unknown[]): void; warn(...args: unknown[]): void; error(...args: unknown[]): void };
}

export interface ActorOptions {
	/** Failed connects in a row before the device goes `offline`. */
	maxRestarts: number;
	backoffBaseMs: number;
	backoffMaxMs: number;
	/** Online this long and the failure count starts again from zero. */
	stableAfterMs: number;
}

/** How one send ended; `pending`: it certainly did not leave and may be sent later. */
/** `code`: the error WhatsApp's server refused the message with (463: new chats are held for this number). */
export type SendOutcome = { status: 'sent' } | { status: 'failed'; error: string; code?: string } | { status: 'pending'; error: string };

/** A send with no answer for this long is given up as `interrupted` (it may have left; a receipt can still tell). */
const SEND_TIMEOUT_MS = 30_000;

/** How long stop() waits for the task in progress after closing the socket. */
const STOP_DRAIN_MS = 5_000;

export const DEFAULT_ACTOR_OPTIONS: ActorOptions = { maxRestarts: 10, backoffBaseMs: 1_000, backoffMaxMs: 60_000, stableAfterMs: 60_000 };

/** Exponential backoff with jitter: half the step fixed, half random, so retries of many devices spread out. */
export function backoffMs(attempt: number, options: Pick<ActorOptions, 'backoffBaseMs' | 'backoffMaxMs'>): number {
	const step = Math.min(options.backoffMaxMs, options.backoffBaseMs * 2 ** Math.max(0, attempt - 1));
	return Math.round(step / 2 + (Math.random() * step) / 2);
}

/**
 * One device on the node that holds its lease: the state machine of its status over one WhatsApp
 * socket. Commands and socket events go through one serial mailbox, so they never interleave.
 */
export class DeviceActor {
	status: DeviceStatus;
	qr: string | null = null;
	pairingCode: string | null = null;
	private mailbox: Promise<unknown> = Promise.resolve();
	private mode: StartMode = { kind: 'resume' };
	private restarts = 0;
	private connected = false;
	private permitHeld = false;
	private codeRequested = false;
	private loggingOut = false;
	private stopped = false;
	private readonly abort = new AbortController();
	private retryTimer?: NodeJS.Timeout;
	private stableTimer?: NodeJS.Timeout;
	private readonly watchers = new Set<() => void>();

	constructor(
		readonly deviceId: string,
		readonly epoch: number,
		private readonly driver: WhatsAppDriver,
		private readonly limiter: ConnectLimiter,
		private readonly host: ActorHost,
		private readonly options: ActorOptions = DEFAULT_ACTOR_OPTIONS,
		initialStatus: DeviceStatus = 'new',
	) {
		this.status = initialStatus;
	}

	get running(): boolean {
		return !this.stopped;
	}

	/** Connect with the stored session, or start pairing. */
	start(mode: StartMode): Promise<void> {
		return this.enqueue(async () => {
			this.mode = mode;
			this.restarts = 0;
			this.codeRequested = false;
			this.pairingCode = null;
			if (mode.kind === 'pair') await this.setStatus('pairing', null);
			else await this.setStatus(this.status === 'online' || this.status === 'reconnecting' ? 'reconnecting' : 'connecting', null);
			if (mode.kind === 'resume' && mode.jitterMs) this.scheduleConnect(Math.random() * mode.jitterMs);
			else await this.connect();
		});
	}

	/** Unlinks from the phone when connected; either way the session is forgotten and the device is `logged_out`. */
	logout(): Promise<void> {
		return this.enqueue(async () => {
			if (this.stopped) return;
			this.loggingOut = true;
			clearTimeout(this.retryTimer);
			if (this.connected) {
				try {
					await this.driver.logout();
					return; // the close (logged_out) finishes the actor
				} catch (err) {
					this.host.logger.warn(`Logout of ${this.deviceId} over the socket failed: ${(err as Error).message}`);
				}
			}
			await this.driver.end();
			await this.host.clearSession();
			await this.finish('logged_out', 'Logged out');
		});
	}

	/** True while the socket is open and the device is online: it can send. */
	get canSend(): boolean {
		return this.connected && !this.stopped && this.status === 'online';
	}

	/** Sends one message through the socket, in turn with the socket's own events. Never throws. */
	send(message: OutgoingMessage): Promise<SendOutcome> {
		return this.enqueue(async (): Promise<SendOutcome> => {
			if (!this.canSend) return { status: 'pending', error: 'The device is not connected' };
			let timer: NodeJS.Timeout | undefined;
			const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), SEND_TIMEOUT_MS)));
			try {
				await Promise.race([this.driver.send(message), timeout]);
				return { status: 'sent' };
			} catch (err) {
				if (err instanceof NotSentError) return { status: 'pending', error: err.message };
				if (err instanceof RefusedError) return { status: 'failed', error: err.message, code: err.code };
				if (err instanceof NotOnWhatsAppError) return { status: 'failed', error: err.message };
				if ((err as Error).message === 'timeout') return { status: 'failed', error: `interrupted: WhatsApp did not answer within ${SEND_TIMEOUT_MS / 1000} s; not re-sent (retry it by hand)` };
				return { status: 'failed', error: `WhatsApp refused the message: ${(err as Error).message}` };
			} finally {
				clearTimeout(timer);
			}
		}).catch((err: Error): SendOutcome => ({ status: 'failed', error: err.message }));
	}

	/** Shows "typing…" to `to` for `ms`, then stops, as a person writing; does nothing when the device cannot send. Never throws. */
	async typeFor(to: string, ms: number): Promise<void> {
		const say = (on: boolean) => this.enqueue(async () => (this.canSend ? this.driver.typing(to, on) : undefined)).catch(() => undefined);
		await say(true);
		await new Promise(resolve => setTimeout(resolve, ms));
		await say(false);
	}

	/** Tells the contacts their messages were read; false when the device is not online to say it. */
	markRead(keys: ReadKey[]): Promise<boolean> {
		return this.enqueue(async () => {
			if (!this.canSend) return false;
			await this.driver.markRead(keys);
			return true;
		});
	}

	/** Closes the socket without changing the status: the device moves to another node or the node stops. */
	async stop(): Promise<void> {
		if (!this.stopped) {
			this.stopped = true;
			this.abort.abort(new Error('device actor stopped'));
			clearTimeout(this.retryTimer);
			clearTimeout(this.stableTimer);
		}
		// Close now, not behind whatever the mailbox is waiting on (a query can take a minute).
		await this.driver.end();
		await Promise.race([this.mailbox, new Promise(resolve => setTimeout(resolve, STOP_DRAIN_MS).unref())]);
		await this.releasePermit();
	}

	/** Resolves with the first truthy value of `check`, re-evaluated at every change; rejects after `timeoutMs`. */
	waitFor<T>(check: (actor: this) => T | undefined | null | false, timeoutMs: number, what: string): Promise<T> {
		return new Promise((resolve, reject) => {
			const evaluate = () => {
				const value = check(this);
				if (!value) return;
				done();
				resolve(value);
			};
			const timer = setTimeout(() => {
				done();
				reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`));
			}, timeoutMs);
			const done = () => {
				clearTimeout(timer);
				this.watchers.delete(evaluate);
			};
			this.watchers.add(evaluate);
			evaluate();
		});
	}

	private changed(): void {
		for (const watcher of [...this.watchers]) watcher();
	}

	private enqueue<T>(task: () => Promise<T>): Promise<T> {
		const run = this.mailbox.then(task);
		this.mailbox = run.catch(err => this.host.logger.error(`Device ${this.deviceId}: ${(err as Error).message}`));
		return run;
	}

	private async connect(): Promise<void> {
		if (this.stopped) return;
		try {
			await this.limiter.acquire(this.deviceId, this.abort.signal);
			this.permitHeld = true;
			if (this.stopped) return this.releasePermit();
			await this.driver.connect({
				qr: qr => void this.enqueue(() => this.onQr(qr)),
				open: account => void this.enqueue(() => this.onOpen(account)),
				close: reason => void this.enqueue(() => this.onClose(reason)),
				receipts: receipts => this.host.receipts(receipts),
				messages: messages => this.host.messages(messages),
				readElsewhere: ids => this.host.readElsewhere(ids),
			});
		} catch (err) {
			if (this.stopped) return this.releasePermit();
			// The limiter's store or the session store failed: a failed attempt like any other.
			await this.onClose({ kind: 'lost', message: `Could not connect: ${(err as Error).message}` });
		}
	}

	private scheduleConnect(delayMs: number): void {
		clearTimeout(this.retryTimer);
		this.retryTimer = setTimeout(() => void this.enqueue(() => this.connect()), delayMs);
	}

	private async onQr(qr: string): Promise<void> {
		if (this.stopped || this.mode.kind !== 'pair') return;
		if (this.mode.method === 'code') {
			if (this.codeRequested) return;
			this.codeRequested = true;
			this.pairingCode = await this.driver.requestPairingCode(this.mode.phone);
			this.host.pairingCode(this.pairingCode);
			this.changed();
			return;
		}
		this.qr = qr;
		this.host.qr(qr);
		this.changed();
	}

	private async onOpen(account: LinkedAccount): Promise<void> {
		this.connected = true;
		await this.releasePermit();
		if (this.stopped) return;
		const wasPairing = this.mode.kind === 'pair';
		this.mode = { kind: 'resume' };
		if (wasPairing || this.qr) {
			this.qr = null;
			this.pairingCode = null;
			this.host.qr(null);
		}
		await this.setStatus('online', null, account);
		clearTimeout(this.stableTimer);
		this.stableTimer = setTimeout(() => (this.restarts = 0), this.options.stableAfterMs);
	}

	private async onClose(reason: CloseReason): Promise<void> {
		this.connected = false;
		clearTimeout(this.stableTimer);
		await this.releasePermit();
		if (this.stopped || reason.kind === 'ended') return;
		switch (reason.kind) {
			case 'restart':
				// After a scan WhatsApp asks for a fresh socket: part of linking, not a failure.
				if (this.status === 'pairing') await this.setStatus('connecting', null);
				return this.connect();
			case 'logged_out':
				await this.host.clearSession();
				return this.finish('logged_out', this.loggingOut ? 'Logged out' : `Unlinked from the phone (${reason.code ?? '?'}: ${reason.message})`);
			case 'banned':
				return this.finish('banned', `WhatsApp refused the login (${reason.code ?? '?'}: ${reason.message})`);
			case 'pairing_expired':
				await this.host.clearSession();
				this.host.qr(null);
				return this.finish('new', 'The QR code expired before it was scanned. Pair again.');
			case 'conflict':
				this.host.logger.error(`Device ${this.deviceId}: another socket logged in as this device (conflict ${reason.code}). Leases should make this impossible.`);
				break;
			case 'lost':
				break;
		}
		this.restarts += 1;
		if (this.restarts > this.options.maxRestarts) {
			if (this.mode.kind === 'pair') await this.host.clearSession();
			return this.finish(this.mode.kind === 'pair' ? 'new' : 'offline', `Gave up after ${this.options.maxRestarts} failed attempts in a row: ${reason.message}`);
		}
		if (this.mode.kind !== 'pair') await this.setStatus('reconnecting', `${reason.message}; retry ${this.restarts} of ${this.options.maxRestarts}`);
		this.scheduleConnect(backoffMs(this.restarts, this.options));
	}

	private async finish(status: DeviceStatus, reason: string): Promise<void> {
		this.stopped = true;
		clearTimeout(this.retryTimer);
		clearTimeout(this.stableTimer);
		await this.setStatus(status, reason);
		this.host.finished();
	}

	private async setStatus(status: DeviceStatus, reason: string | null, account?: LinkedAccount): Promise<void> {
		this.status = status;
		await this.host.status(status, reason, account);
		this.changed();
	}

	private async releasePermit(): Promise<void> {
		if (!this.permitHeld) return;
		this.permitHeld = false;
		await this.limiter.release(this.deviceId);
	}
}

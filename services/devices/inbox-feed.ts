import { ImageRejected, normaliseImage } from '../media/image.ts';
import type { FedMessage, FedRead, FedReceipt, FeedParams } from '../inbox/inbox.params.ts';
import type { ChatMessageSeen, Receipt } from './whatsapp-driver.ts';

export interface InboxFeedDeps {
	/** Whether the inbox service runs anywhere in the cluster now. */
	available(): boolean;
	ownerOf(deviceId: string): Promise<string | undefined>;
	/** Stores a contact's photo (already made small enough to send) for its owner; answers the media id. */
	storeImage(userId: string, jpeg: Buffer): Promise<string>;
	feed(params: FeedParams): Promise<void>;
	maxPixels: number;
	logger: { warn(...args: unknown[]): void };
}

export interface FeedOptions {
	flushMs: number;
	/** Held while the inbox is unreachable; past this the oldest go (with a warning), so memory stays bounded. */
	maxHeld: number;
}

export const DEFAULT_FEED_OPTIONS: FeedOptions = { flushMs: 100, maxHeld: 50_000 };

/** Items per `inbox.feed` call, so a backlog goes over in calls that each finish well within the request timeout. */
const PER_CALL = 500;
/** While the inbox fails, the next try waits twice as long, up to this. */
const MAX_BACKOFF_MS = 10_000;

/** PostgreSQL's text cannot hold NUL: a contact's client that sends one must not stall everyone's messages. */
const clean = (text: string) => text.replaceAll('\u0000', '');

/** A message this node's dispatcher sent: the inbox shows it in its chat. */
export interface SentMessage {
	deviceId: string;
	outboxId: string;
	waMessageId: string;
	/** Digits only, as the driver sends. */
	to: string;
	source: NonNullable<FedMessage['origin']>;
	text: string;
	mediaId: string | null;
	at: Date;
}

const STORE_ATTEMPTS = 3;

/**
 * WhatsApp stamps a message to the second: within that second, when it arrived here orders it
 * against the others (a reply sent at .700 stays before a message stamped .000 that came at .900).
 */
function arrivalTime(stamped: Date): Date {
	const wa = stamped.getTime();
	return new Date(wa + Math.min(Math.max(Date.now() - wa, 0), 999));
}

/**
 * What this node's devices saw and sent, handed to the inbox in batches: contacts' messages (their
 * photos stored first), the number's own messages from the phone, the dispatcher's sends, receipts
 * and reads on the phone. Held and tried again while the inbox cannot take them.
 */
export class InboxFeed {
	private messages: FedMessage[] = [];
	private receipts: FedReceipt[] = [];
	private read: FedRead[] = [];
	/** Per device, what it saw in the order its socket gave it: each message once its photo is stored, receipts and reads after. */
	private readonly preparing = new Map<string, Promise<void>>();
	private timer?: NodeJS.Timeout;
	private failures = 0;
	private flushing?: Promise<void>;
	private stopped = false;
	private dropped = 0;
	private warnedAt = 0;

	constructor(
		private readonly deps: InboxFeedDeps,
		private readonly options: FeedOptions = DEFAULT_FEED_OPTIONS,
	) {}

	seen(deviceId: string, messages: ChatMessageSeen[]): void {
		this.inOrder(deviceId, async () => {
			for (const message of messages) this.messages.push(await this.fed(deviceId, message));
		});
	}

	sent(message: SentMessage): void {
		this.messages.push({
			deviceId: message.deviceId,
			waMessageId: message.waMessageId,
			fromMe: true,
			phone: `+${message.to}`,
			lid: null,
			remoteJid: null,
			pushName: null,
			text: clean(message.text),
			mediaId: message.mediaId,
			mediaError: null,
			at: message.at.toISOString(),
			origin: message.source,
			outboxId: message.outboxId,
		});
		this.schedule();
	}

	receipt(deviceId: string, receipts: Receipt[]): void {
		this.inOrder(deviceId, () => {
			for (const r of receipts) this.receipts.push({ deviceId, waMessageId: r.id, status: r.status });
		});
	}

	readElsewhere(deviceId: string, ids: string[]): void {
		this.inOrder(deviceId, () => {
			for (const id of ids) this.read.push({ deviceId, waMessageId: id });
		});
	}

	/** Hands over what is held (photos still being stored included), then takes nothing more. */
	async stop(): Promise<void> {
		await Promise.all(this.preparing.values());
		this.stopped = true;
		clearTimeout(this.timer);
		this.timer = undefined;
		this.failures = 0;
		while (this.messages.length + this.receipts.length + this.read.length > 0 && this.deps.available() && this.failures === 0) await this.flush();
	}

	/** Runs after what the device saw before (a photo being stored holds back only its own device). */
	private inOrder(deviceId: string, work: () => void | Promise<void>): void {
		const before = this.preparing.get(deviceId);
		const running = before ? before.then(work) : work();
		if (!running) return this.schedule();
		const next: Promise<void> = running
			.catch(err => this.deps.logger.warn(`Preparing what device ${deviceId} saw failed: ${(err as Error).message}`))
			.then(() => {
				if (this.preparing.get(deviceId) === next) this.preparing.delete(deviceId);
				this.schedule();
			});
		this.preparing.set(deviceId, next);
	}

	private async fed(deviceId: string, m: ChatMessageSeen): Promise<FedMessage> {
		const message: FedMessage = {
			deviceId,
			waMessageId: m.id,
			fromMe: m.fromMe,
			phone: m.phone ? `+${m.phone}` : null,
			lid: m.lid,
			remoteJid: m.remoteJid,
			pushName: m.pushName && clean(m.pushName),
			text: clean(m.text),
			mediaId: null,
			mediaError: null,
			at: arrivalTime(m.at).toISOString(),
			origin: m.fromMe ? 'phone' : null,
			outboxId: null,
		};
		if (m.image && 'error' in m.image) message.mediaError = m.image.error;
		else if (m.image) {
			try {
				message.mediaId = await this.store(deviceId, m.image.data);
			} catch (err) {
				message.mediaError = err instanceof ImageRejected ? `The photo could not be read: ${err.message}` : 'The photo could not be stored.';
				this.deps.logger.warn(`Storing a photo a contact sent to device ${deviceId} failed: ${(err as Error).message}`);
			}
		}
		return message;
	}

	private async store(deviceId: string, data: Buffer): Promise<string> {
		const userId = await this.deps.ownerOf(deviceId);
		if (!userId) throw new Error('the device is gone');
		const image = await normaliseImage(data, { maxPixels: this.deps.maxPixels });
		for (let attempt = 1; ; attempt++) {
			try {
				return await this.deps.storeImage(userId, image.data);
			} catch (err) {
				if (attempt >= STORE_ATTEMPTS) throw err;
				await new Promise(resolve => setTimeout(resolve, 500 * attempt));
			}
		}
	}

	private schedule(): void {
		if (this.timer || this.stopped) return;
		const delay = this.failures ? Math.min(this.options.flushMs * 2 ** this.failures, MAX_BACKOFF_MS) : this.options.flushMs;
		this.timer = setTimeout(() => {
			this.timer = undefined;
			void this.flush();
		}, delay);
	}

	private async flush(): Promise<void> {
		while (this.flushing) await this.flushing;
		if (!this.messages.length && !this.receipts.length && !this.read.length) return;
		if (!this.deps.available()) {
			this.bound();
			return this.schedule();
		}
		// Messages first: a receipt or a read never goes before the message it is about.
		const messages = this.messages.splice(0, PER_CALL);
		const receipts = this.receipts.splice(0, PER_CALL - messages.length);
		const read = this.read.splice(0, PER_CALL - messages.length - receipts.length);
		this.flushing = (async () => {
			try {
				await this.deps.feed({ messages, receipts, read });
				this.failures = 0;
			} catch (err) {
				this.failures += 1;
				this.warn(`Handing ${messages.length} chat messages, ${receipts.length} receipts and ${read.length} reads to the inbox failed (trying again): ${(err as Error).message}`);
				this.messages.unshift(...messages);
				this.receipts.unshift(...receipts);
				this.read.unshift(...read);
				this.bound();
			}
			if (this.messages.length || this.receipts.length || this.read.length) this.schedule();
		})().finally(() => (this.flushing = undefined));
		await this.flushing;
	}

	/** At most one warning a minute: an inbox that stays away must not flood the log. */
	private warn(message: string): void {
		if (Date.now() - this.warnedAt < 60_000) return;
		this.warnedAt = Date.now();
		this.deps.logger.warn(message);
	}

	/** Keeps memory bounded while the inbox is away: the oldest go first, and a warning says how many. */
	private bound(): void {
		const over = this.messages.length + this.receipts.length + this.read.length - this.options.maxHeld;
		if (over <= 0) return;
		const receipts = Math.min(over, this.receipts.length);
		this.receipts.splice(0, receipts);
		const read = Math.min(over - receipts, this.read.length);
		this.read.splice(0, read);
		const messages = Math.min(over - receipts - read, this.messages.length);
		this.messages.splice(0, messages);
		this.dropped += over;
		this.warn(`The inbox is unreachable: ${this.dropped} receipts and chat messages held for it were dropped so far.`);
	}
}

import { URGENT_SOURCE } from '../messages/message.entity.ts';
import type { ClaimRequest } from '../messages/messages.params.ts';
import type { ClaimedMessage, Receipt as OutboxReceipt, SendResult } from '../messages/outbox.ts';
import { lastingFailure, NotToBeSentError, type PreparedMessage } from '../messages/preparation.ts';
import { capFreeAt, DAY_MS, gapMs, inQuietHours, type DevicePacing } from './pacing.ts';
import { heldText, MAX_TYPING_MS, NEW_CHATS_HELD, nextNewChatPause, typingMs } from './sending-care.ts';
import type { DeviceActor } from './device.actor.ts';
import type { Receipt } from './whatsapp-driver.ts';

export interface DispatchDeps {
	nodeId: string;
	/** Whether the outbox (the messages service) runs anywhere in the cluster now. */
	outboxAvailable(): boolean;
	/** The actors this node holds now. */
	actors(): Iterable<DeviceActor>;
	claim(devices: ClaimRequest[]): Promise<ClaimedMessage[]>;
	record(results: SendResult[]): Promise<void>;
	receipts(receipts: OutboxReceipt[]): Promise<void>;
	/** Settles what earlier holders of these devices left `sending`. */
	failInterrupted(devices: { deviceId: string; epoch: number }[]): Promise<void>;
	pacing(deviceIds: string[]): Promise<Map<string, DevicePacing>>;
	recentSends(deviceIds: string[]): Promise<Map<string, number[]>>;
	/** What the driver sends and the gap after it (rendered for the recipient, with its image). */
	prepare(message: ClaimedMessage): Promise<PreparedMessage>;
	/** A message left: what it said, for the inbox's copy of the chat. */
	sent?(message: ClaimedMessage, prepared: PreparedMessage, at: Date): void;
	/** Whether the contact (E.164) has written to the number: a chat WhatsApp lets go on while new chats are paused. */
	existingChat?(deviceId: string, phone: string): Promise<boolean>;
	logger: { warn(...args: unknown[]): void; error(...args: unknown[]): void };
}

export interface DispatchOptions {
	/** Devices with nothing due are asked again this often (and at once when messages are enqueued for them). */
	pollMs: number;
	/** Claims per statement. */
	claimBatch: number;
	/** Outcomes are written in batches at most this far apart. */
	flushMs: number;
	/** What earlier holders left `sending` is looked for again this often, not only when a number arrives. */
	sweepMs: number;
	/** Numbers show "typing…" before a message, within their pacing gap. */
	typing: boolean;
	/** After a 463 (WhatsApp holds the number's new chats), how long new chats wait before one is tried; doubles on each repeat, up to a day. */
	newChatPauseMs: number;
}

export const DEFAULT_DISPATCH_OPTIONS: DispatchOptions = { pollMs: 2_000, claimBatch: 2_000, flushMs: 50, sweepMs: 30_000, typing: true, newChatPauseMs: 3_600_000 };




/** One device's queue state on this node. */
interface Lane {
	actor: DeviceActor;
	pacing: DevicePacing;
	/** Send times (ms) within the last day, oldest first. */
	sends: number[];
	/** The gap after its last send ends then; caps and quiet hours are judged afresh each round. */
	gapUntil: number;
	/** When caps or quiet hours next let it send, as of the last round (so the loop sleeps until then). */
	heldUntil: number;
	idleUntil: number;
	busy: boolean;
	/** A person's reply may be waiting: claimed even while the pacing holds the number. */
	urgent: boolean;
	/** Wake-ups so far: a claim that finds nothing leaves a lane as it is if one came meanwhile. */
	wakes: number;
	/** The send in progress, until its outcome is in the batch to record. */
	sending?: Promise<void>;
	/** WhatsApp answered 463: messages to contacts who never wrote wait until `until`; `pauseMs` doubles on each repeat. */
	newChats?: { until: number; pauseMs: number };
	/** Its last message, until that outcome is written. */
	unrecorded?: string;
}

/** How preparing and sending one message ended. */
type Outcome = { status: 'sent'; gapMs: number; prepared: PreparedMessage } | { status: 'failed' | 'cancelled'; error: string; code?: string } | { status: 'pending'; error: string; notBefore?: number };

/**
 * Sends the outbox's messages through this node's device actors (docs/architecture.md): one
 * message at a time per device, claimed in one statement for every ready device, paced per
 * number across all sources, outcomes and receipts written in batches.
 */
export class Dispatcher {
	private readonly lanes = new Map<string, Lane>();
	private readonly loading = new Set<string>();
	/** Pacing edits that came while a lane was loading: its read of the pacing may predate them. */
	private readonly repacedWhileLoading = new Map<string, Partial<Omit<DevicePacing, 'since'>>>();
	private results: SendResult[] = [];
	private receiptBuffer: OutboxReceipt[] = [];
	private inFlight = new Set<Promise<void>>();
	private stopped = false;
	private sweptAt = 0;
	private running?: Promise<void>;
	private again = false;
	private timer?: NodeJS.Timeout;
	private flushTimer?: NodeJS.Timeout;
	private flushing?: Promise<void>;
	/** How long recent claim statements took (ms), for the benchmark. */
	readonly claimLatencies: number[] = [];

	constructor(
		private readonly deps: DispatchDeps,
		private readonly options: DispatchOptions = DEFAULT_DISPATCH_OPTIONS,
	) {}

	start(): void {
		this.wake();
	}

	/** Look for work now: for these devices (messages were enqueued for them; `urgent`: a person's reply among them), or for all. */
	wake(deviceIds?: string[], urgent = false): void {
		if (this.stopped) return;
		if (deviceIds) {
			for (const id of deviceIds) {
				const lane = this.lanes.get(id);
				if (!lane) continue;
				lane.idleUntil = 0;
				lane.wakes += 1;
				if (urgent) lane.urgent = true;
			}
		}
		if (this.running) {
			this.again = true;
			return;
		}
		clearTimeout(this.timer);
		this.running = this.round().finally(() => {
			this.running = undefined;
			if (this.again) {
				this.again = false;
				this.wake();
			} else this.sleep();
		});
	}

	/**
	 * A device's pacing or its tenant's zone was edited: its queue is planned again at once under
	 * the new caps, warm-up and quiet hours (its sends so far still count), and the new gap applies
	 * from its next send.
	 */
	repace(deviceId: string, pacing: Partial<Omit<DevicePacing, 'since'>>): void {
		const lane = this.lanes.get(deviceId);
		if (!lane) {
			if (this.loading.has(deviceId)) this.repacedWhileLoading.set(deviceId, { ...this.repacedWhileLoading.get(deviceId), ...pacing });
			return;
		}
		lane.pacing = { ...lane.pacing, ...pacing };
		lane.heldUntil = 0;
		this.wake();
	}

	receipt(deviceId: string, receipts: Receipt[]): void {
		for (const r of receipts) this.receiptBuffer.push({ deviceId, waMessageId: r.id, status: r.status });
		this.scheduleFlush();
	}

	/** Stops claiming, lets the sends in flight finish and writes every outcome. */
	async stop(): Promise<void> {
		this.stopped = true;
		clearTimeout(this.timer);
		await this.running;
		await Promise.all(this.inFlight);
		clearTimeout(this.flushTimer);
		await this.flush();
	}

	private sleep(): void {
		if (this.stopped) return;
		const now = Date.now();
		let at = now + this.options.pollMs;
		for (const lane of this.lanes.values()) {
			if (lane.busy || !lane.actor.canSend || lane.idleUntil > now) continue;
			at = Math.min(at, lane.urgent ? now : Math.max(lane.gapUntil, lane.heldUntil, now));
		}
		this.timer = setTimeout(() => this.wake(), Math.max(0, at - now));
	}

	private async round(): Promise<void> {
		// A node may hold devices before (or without) any messages service: nothing to claim yet.
		if (!this.deps.outboxAvailable()) return;
		try {
			await this.syncLanes();
			await this.sweepInterrupted();
			const now = Date.now();
			const ready: { lane: Lane; urgentOnly: boolean }[] = [];
			for (const lane of this.lanes.values()) {
				if (lane.busy || !lane.actor.canSend || lane.idleUntil > now) continue;
				// Held by its pacing, a number still sends a person's reply.
				if (this.paced(lane, now)) {
					if (lane.urgent) ready.push({ lane, urgentOnly: true });
				} else ready.push({ lane, urgentOnly: false });
			}
			for (let i = 0; i < ready.length && !this.stopped; i += this.options.claimBatch) {
				const batch = ready.slice(i, i + this.options.claimBatch);
				const wakes = batch.map(({ lane }) => lane.wakes);
				const began = performance.now();
				const claimed = await this.deps.claim(batch.map(({ lane, urgentOnly }) => ({ deviceId: lane.actor.deviceId, epoch: lane.actor.epoch, ...(urgentOnly ? { urgentOnly } : {}) })));
				this.claimLatencies.push(performance.now() - began);
				if (this.claimLatencies.length > 10_000) this.claimLatencies.splice(0, 5_000);
				const byDevice = new Map(claimed.map(m => [m.deviceId, m]));
				for (const [index, { lane, urgentOnly }] of batch.entries()) {
					const message = byDevice.get(lane.actor.deviceId);
					// Replies come first in every claim: any other message, or none, means none was waiting
					// (unless messages were enqueued for it while the claim ran).
					const woken = lane.wakes !== wakes[index];
					if (!woken) lane.urgent = message?.source === URGENT_SOURCE;
					if (!message) {
						if (!urgentOnly && !woken) lane.idleUntil = Date.now() + this.options.pollMs;
						continue;
					}
					lane.busy = true;
					const sending = this.sendOne(lane, message);
					lane.sending = sending;
					this.inFlight.add(sending);
					void sending.finally(() => this.inFlight.delete(sending));
				}
			}
		} catch (err) {
			this.deps.logger.warn(`Dispatch round failed: ${(err as Error).message}`);
		}
	}

	/** Whether the number's gap, quiet hours or caps hold it now (remembering until when, so the loop sleeps until then). */
	private paced(lane: Lane, now: number): boolean {
		// Claimed before its gap ends to type in the rest of it, once its last send is recorded (a dead node leaves one `sending`).
		const early = this.options.typing && !lane.unrecorded ? MAX_TYPING_MS : 0;
		if (lane.gapUntil - early > now || lane.heldUntil > now) return true;
		if (inQuietHours(lane.pacing, now)) {
			lane.heldUntil = now + 60_000;
			return true;
		}
		const free = capFreeAt(lane.pacing, lane.sends, now);
		if (free > now) {
			lane.heldUntil = free;
			return true;
		}
		return false;
	}

	/** Lanes for the online actors held here; a new holder first settles what an earlier one left `sending`. */
	private async syncLanes(): Promise<void> {
		const actors = new Map<string, DeviceActor>();
		for (const actor of this.deps.actors()) actors.set(actor.deviceId, actor);
		for (const [id, lane] of this.lanes) {
			if (actors.get(id) !== lane.actor && !lane.busy) this.lanes.delete(id);
		}
		const fresh = [...actors.values()].filter(a => a.canSend && !this.lanes.has(a.deviceId) && !this.loading.has(a.deviceId));
		if (fresh.length === 0) return;
		const ids = fresh.map(a => a.deviceId);
		for (const id of ids) this.loading.add(id);
		try {
			await this.deps.failInterrupted(fresh.map(a => ({ deviceId: a.deviceId, epoch: a.epoch })));
			const [pacing, sends] = await Promise.all([this.deps.pacing(ids), this.deps.recentSends(ids)]);
			for (const actor of fresh) {
				const read = pacing.get(actor.deviceId);
				if (!read) continue;
				const p = { ...read, ...this.repacedWhileLoading.get(actor.deviceId) };
				const history = sends.get(actor.deviceId) ?? [];
				const last = history.at(-1);
				this.lanes.set(actor.deviceId, {
					actor,
					pacing: p,
					sends: history,
					gapUntil: last ? last + p.minDelaySeconds * 1000 : 0,
					heldUntil: 0,
					idleUntil: 0,
					busy: false,
					// Replies written while the number was away go first, whatever its last gap.
					urgent: true,
					wakes: 0,
				});
			}
		} finally {
			for (const id of ids) {
				this.loading.delete(id);
				this.repacedWhileLoading.delete(id);
			}
		}
	}

	/**
	 * A claim by an earlier holder that started before its lease ran out can commit after this node
	 * took the number over and settled what was left `sending`: such a row is caught here.
	 */
	private async sweepInterrupted(): Promise<void> {
		const now = Date.now();
		if (now - this.sweptAt < this.options.sweepMs || this.lanes.size === 0) return;
		this.sweptAt = now;
		await this.deps.failInterrupted([...this.lanes.values()].map(l => ({ deviceId: l.actor.deviceId, epoch: l.actor.epoch })));
	}

	/** Prepares and sends one message; preparing failed means nothing left, so the message is queued again, failed or cancelled. */
	private async attempt(lane: Lane, message: ClaimedMessage): Promise<Outcome> {
		let prepared: PreparedMessage;
		try {
			prepared = await this.deps.prepare(message);
		} catch (err) {
			const error = (err as Error).message;
			if (err instanceof NotToBeSentError) return { status: 'cancelled', error };
			return { status: lastingFailure(err) ? 'failed' : 'pending', error };
		}
		// While WhatsApp holds the number's new chats, a message to a contact who never wrote waits; chats the contact started go on.
		const held = lane.newChats;
		if (held && Date.now() < held.until && message.source !== URGENT_SOURCE && !(await this.deps.existingChat?.(message.deviceId, message.recipient).catch(() => false))) {
			return { status: 'pending', error: heldText(held.until), notBefore: held.until };
		}
		// What is left of the gap: a moment idle, then "typing…" for about as long as a person would take (never longer than the gap).
		const left = lane.gapUntil - Date.now();
		if (left > 0 && this.options.typing && prepared.typing !== false && message.source !== URGENT_SOURCE) {
			const typing = Math.min(left, typingMs(prepared.outgoing.text));
			await new Promise(resolve => setTimeout(resolve, left - typing));
			if (typing > 0) await lane.actor.typeFor(prepared.outgoing.to, typing);
		}
		const sent = await lane.actor.send(prepared.outgoing);
		return sent.status === 'sent' ? { status: 'sent', gapMs: gapMs(prepared, lane.pacing), prepared } : sent;
	}

	/** Waits for the device's send in progress to end and be recorded: a hand-over calls it before the lease goes, so the next holder never takes that message for one a dead node left. */
	async quiesce(deviceId: string): Promise<void> {
		await this.lanes.get(deviceId)?.sending?.catch(() => undefined);
		await this.flush();
	}

	private async sendOne(lane: Lane, message: ClaimedMessage): Promise<void> {
		let outcome = await this.attempt(lane, message);
		const now = Date.now();
		lane.busy = false;
		if (outcome.status === 'failed' && outcome.code === NEW_CHATS_HELD) {
			// Not failed: it waits with the number's other new chats, and the pause doubles if it was tried after one.
			const pauseMs = nextNewChatPause(lane.newChats?.pauseMs, this.options.newChatPauseMs);
			lane.newChats = { until: now + pauseMs, pauseMs };
			this.deps.logger.warn(`Device ${message.deviceId}: WhatsApp holds its new chats (463); they wait ${Math.round(pauseMs / 60_000)} min.`);
			outcome = { status: 'pending', error: heldText(lane.newChats.until), notBefore: lane.newChats.until };
		} else if (outcome.status === 'sent' && lane.newChats && now >= lane.newChats.until) {
			// The first new chat tried after the pause went through: the hold is over.
			lane.newChats = undefined;
		}
		if (outcome.status === 'sent') {
			// A reply counts towards the caps but neither waits for the gap nor makes the next message wait.
			lane.sends.push(now);
			while (lane.sends.length && lane.sends[0] <= now - DAY_MS) lane.sends.shift();
			if (message.source !== URGENT_SOURCE) lane.gapUntil = now + outcome.gapMs;
			this.deps.sent?.(message, outcome.prepared, new Date(now));
		} else if (outcome.status === 'pending') {
			lane.idleUntil = now + this.options.pollMs;
		}
		const notBefore = outcome.status === 'pending' && outcome.notBefore ? { notBefore: new Date(outcome.notBefore).toISOString() } : {};
		lane.unrecorded = message.id;
		this.results.push({ id: message.id, status: outcome.status, error: outcome.status === 'sent' ? null : outcome.error, at: new Date(now).toISOString(), ...notBefore });
		this.scheduleFlush();
		this.wake();
	}

	private scheduleFlush(): void {
		if (this.flushTimer) return;
		this.flushTimer = setTimeout(() => {
			this.flushTimer = undefined;
			void this.flush();
		}, this.options.flushMs);
	}

	private async flush(): Promise<void> {
		if (this.flushing) {
			await this.flushing;
			if (!this.results.length && !this.receiptBuffer.length) return;
		}
		const results = this.results;
		const receipts = this.receiptBuffer;
		this.results = [];
		this.receiptBuffer = [];
		this.flushing = (async () => {
			// Outcomes first: a receipt never needs them, but a report reads both.
			if (results.length) {
				try {
					await this.deps.record(results);
					const done = new Set(results.map(r => r.id));
					for (const lane of this.lanes.values()) if (lane.unrecorded && done.has(lane.unrecorded)) lane.unrecorded = undefined;
				} catch (err) {
					this.deps.logger.warn(`Recording ${results.length} send outcomes failed (retrying): ${(err as Error).message}`);
					this.results.unshift(...results);
				}
			}
			if (receipts.length) {
				try {
					await this.deps.receipts(receipts);
				} catch (err) {
					this.deps.logger.warn(`Recording ${receipts.length} receipts failed (retrying): ${(err as Error).message}`);
					this.receiptBuffer.unshift(...receipts);
				}
			}
		})().finally(() => (this.flushing = undefined));
		await this.flushing;
		if ((this.results.length || this.receiptBuffer.length) && !this.stopped) this.scheduleFlush();
	}
}

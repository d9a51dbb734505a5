import type { Context, Service } from 'moleculer';
import type { FleetServiceSchema } from '../../mixins/service-schema.ts';
import { EnvSettingsMixin } from '../../mixins/env-settings.mixin.ts';
import { sqlOf } from '../../mixins/orm.middleware.ts';
import { TickerMixin, type TickerMethods } from '../../mixins/ticker.mixin.ts';
import { Outbox, type Batch, type Receipt, type SendResult, type SettledMessage } from './outbox.ts';
import * as E from './messages.events.ts';
import * as P from './messages.params.ts';
import { URGENT_SOURCE } from './message.entity.ts';

interface Settings {
	/** Pending messages fail after this long (the device stayed offline or capped). */
	expiryHours: number;
	/** Settled messages are announced in batches at most this often. */
	progressIntervalMs: number;
}

interface Methods extends TickerMethods {
	batchOf(params: P.BatchParams): Batch;
	settled(messages: SettledMessage[]): void;
	enqueued(ctx: Context, deviceIds: string[], urgent?: boolean): void;
}

interface Locals {
	outbox: Outbox;
	settledBuffer: SettledMessage[];
}

type This = Service<Settings> & Methods & Locals;

/** Internal actions: no REST route, no user (the devices service and the sources call them). */
const internal = { visibility: 'public', auth: 'public' } as const;

/** Messages per `messages.settled` event. */
const SETTLED_PER_EVENT = 5_000;

/**
 * The outbox: creating messages for any source (exactly once per source record and key),
 * claiming them for devices, recording how sends ended and what receipts said, expiry, and one
 * batched outcome event, `messages.settled`, that sources subscribe to.
 */
const MessagesService: FleetServiceSchema<Settings, Methods, Locals> = {
	name: 'messages',

	mixins: [
		EnvSettingsMixin<Settings>(env => ({ expiryHours: env.messageExpiryHours, progressIntervalMs: env.progressIntervalMs })),
		TickerMixin<This>({
			announceSettled: {
				everyMs: settings => settings.progressIntervalMs,
				run() {
					const messages = this.settledBuffer.splice(0);
					for (let i = 0; i < messages.length; i += SETTLED_PER_EVENT) {
						void this.broker.emit<E.MessagesSettled>(E.MESSAGES_SETTLED, { messages: messages.slice(i, i + SETTLED_PER_EVENT) });
					}
				},
			},
			expire: {
				everyMs: 60_000,
				async run() {
					this.settled(await this.outbox.expire());
				},
			},
		}),
	],

	settings: {} as Settings,

	actions: {
		/** Creates the messages whose key the source record does not have yet, and wakes their devices. */
		enqueue: {
			...internal,
			async handler(ctx: Context<P.EnqueueParams>): Promise<P.EnqueueResult> {
				const result = await this.outbox.enqueue(this.batchOf(ctx.params), ctx.params.messages);
				this.enqueued(ctx, result.deviceIds, ctx.params.source === URGENT_SOURCE);
				return result;
			},
		},

		/** One message per lead of a page of an audience (a campaign's firing), made inside the database. */
		enqueueLeads: {
			...internal,
			async handler(ctx: Context<P.EnqueueLeadsParams>): Promise<P.EnqueueLeadsResult> {
				const { audience, after, until, limit } = ctx.params;
				const result = await this.outbox.enqueueLeads(this.batchOf(ctx.params), audience, { after: after ?? null, until: until ?? null }, limit);
				this.enqueued(ctx, result.deviceIds);
				return result;
			},
		},

		claim: {
			...internal,
			handler(ctx: Context<P.ClaimParams>) {
				return this.outbox.claim(ctx.params.nodeId, ctx.params.devices);
			},
		},

		record: {
			...internal,
			async handler(ctx: Context<{ nodeId: string; results: SendResult[] }>) {
				this.settled(await this.outbox.record(ctx.params.nodeId, ctx.params.results));
			},
		},

		receipts: {
			...internal,
			async handler(ctx: Context<{ receipts: Receipt[] }>) {
				this.settled(await this.outbox.receipts(ctx.params.receipts));
			},
		},

		failInterrupted: {
			...internal,
			async handler(ctx: Context<P.ClaimParams>) {
				this.settled(await this.outbox.failInterrupted(ctx.params.nodeId, ctx.params.devices));
			},
		},

		recentSends: {
			...internal,
			async handler(ctx: Context<{ deviceIds: string[] }>): Promise<Record<string, number[]>> {
				return Object.fromEntries(await this.outbox.recentSends(ctx.params.deviceIds));
			},
		},

		/** Counters of a source record per device. The caller (the source) checks ownership. */
		counts: {
			...internal,
			async handler(ctx: Context<P.SourceRef>): Promise<Record<string, P.Counters>> {
				return Object.fromEntries(await this.outbox.counts(ctx.params));
			},
		},

		cancel: {
			...internal,
			async handler(ctx: Context<P.CancelParams>) {
				const cancelled = await this.outbox.cancel(ctx.params);
				this.settled(cancelled);
				return { cancelled: cancelled.length };
			},
		},

		retryFailed: {
			...internal,
			async handler(ctx: Context<P.RetryParams>) {
				const result = await this.outbox.retryFailed(ctx.params);
				this.enqueued(ctx, result.deviceIds);
				return { retried: result.count };
			},
		},

		/** Resends a source record's interrupted messages: an explicit choice, since one may have arrived. */
		retryInterrupted: {
			...internal,
			async handler(ctx: Context<P.RetryParams>) {
				const result = await this.outbox.retryInterrupted(ctx.params);
				this.enqueued(ctx, result.deviceIds);
				return { retried: result.count };
			},
		},

		/** One page of a source record's recipients, for a report's drill-down. */
		recipients: {
			...internal,
			handler(ctx: Context<P.RecipientsParams>): Promise<{ items: P.RecipientDto[]; total: number }> {
				return this.outbox.recipients(ctx.params);
			},
		},
	},

	methods: {
		batchOf({ userId, source, sourceId, notBefore, expiresAt }) {
			const at = notBefore ? new Date(notBefore) : new Date();
			const expiry = expiresAt === undefined ? new Date(at.getTime() + this.settings.expiryHours * 3_600_000) : expiresAt && new Date(expiresAt);
			return { userId, source, sourceId, notBefore: at, expiresAt: expiry };
		},

		settled(messages) {
			this.settledBuffer.push(...messages);
		},

		enqueued(ctx: Context, deviceIds: string[], urgent = false) {
			if (deviceIds.length) ctx.broadcast<E.MessagesEnqueued>(E.MESSAGES_ENQUEUED, { deviceIds, ...(urgent ? { urgent } : {}) });
		},
	},

	created() {
		this.settledBuffer = [];
	},

	started() {
		this.outbox = new Outbox(sqlOf(this.broker));
	},

	async stopped() {
		// What settled before the stop is still announced.
		await this.tickNow('announceSettled');
	},
};

export default MessagesService;

import type { Context } from 'moleculer';
import type { FleetServiceSchema } from '../../mixins/service-schema.ts';
import { readEnv } from '../../mixins/env.ts';
import { sqlOf } from '../../mixins/orm.middleware.ts';
import { Outbox, type Counters, type MessageBatch, type Receipt, type SendResult } from './outbox.ts';
import * as E from './messages.events.ts';
import * as P from './messages.params.ts';

interface Settings {
	/** Pending messages fail after this long (the device stayed offline or capped). */
	expiryHours: number;
	/** Changed campaigns are announced at most this often. */
	progressIntervalMs: number;
}

interface Methods {
	touched(campaignIds: string[]): string[];
}

interface Locals {
	outbox: Outbox;
	dirty: Set<string>;
	timers: NodeJS.Timeout[];
}

/** Internal actions: no REST route, no user (the devices and campaigns services call them). */
const internal = { visibility: 'public', auth: 'public' } as const;

/**
 * The outbox (SPEC §7): creating messages in batches, claiming them for devices, recording how
 * sends ended and what receipts said, expiry. Campaigns, sequences and the inbox enqueue here;
 * the device actors send.
 */
const MessagesService: FleetServiceSchema<Settings, Methods, Locals> = {
	name: 'messages',

	settings: {} as Settings,

	actions: {
		/** Creates one message per recipient (skipping ones a campaign already has) and wakes their devices. */
		enqueue: {
			...internal,
			async handler(ctx: Context<P.EnqueueParams>): Promise<{ created: number; deviceIds: string[] }> {
				const { notBefore, expiresAt, ...rest } = ctx.params;
				const at = notBefore ? new Date(notBefore) : new Date();
				const batch: MessageBatch = {
					...rest,
					notBefore: at,
					expiresAt: expiresAt === undefined ? new Date(at.getTime() + this.settings.expiryHours * 3_600_000) : expiresAt ? new Date(expiresAt) : null,
				};
				const result = await this.outbox.enqueue(batch);
				if (result.deviceIds.length) ctx.broadcast<E.MessagesEnqueued>(E.MESSAGES_ENQUEUED, { deviceIds: result.deviceIds });
				if (batch.campaignId) this.touched([batch.campaignId]);
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
			async handler(ctx: Context<{ results: SendResult[] }>) {
				this.touched(await this.outbox.record(ctx.params.results));
			},
		},

		receipts: {
			...internal,
			async handler(ctx: Context<{ receipts: Receipt[] }>) {
				this.touched(await this.outbox.receipts(ctx.params.receipts));
			},
		},

		failInterrupted: {
			...internal,
			async handler(ctx: Context<P.ClaimParams>) {
				this.touched(await this.outbox.failInterrupted(ctx.params.nodeId, ctx.params.devices));
			},
		},

		recentSends: {
			...internal,
			async handler(ctx: Context<{ deviceIds: string[] }>): Promise<Record<string, number[]>> {
				return Object.fromEntries(await this.outbox.recentSends(ctx.params.deviceIds));
			},
		},

		/** Counters of a campaign per device. The caller (campaigns) checks ownership. */
		counts: {
			...internal,
			async handler(ctx: Context<{ campaignId: string }>): Promise<Record<string, Counters>> {
				return Object.fromEntries(await this.outbox.counts(ctx.params.campaignId));
			},
		},

		cancel: {
			...internal,
			async handler(ctx: Context<{ campaignId: string; reason: string }>) {
				const cancelled = await this.outbox.cancel(ctx.params.campaignId, ctx.params.reason);
				this.touched([ctx.params.campaignId]);
				return { cancelled };
			},
		},

		retryFailed: {
			...internal,
			async handler(ctx: Context<{ campaignId: string; deviceId?: string }>) {
				const result = await this.outbox.retryFailed(ctx.params.campaignId, ctx.params.deviceId);
				if (result.deviceIds.length) ctx.broadcast<E.MessagesEnqueued>(E.MESSAGES_ENQUEUED, { deviceIds: result.deviceIds });
				this.touched([ctx.params.campaignId]);
				return { retried: result.count };
			},
		},

		/** One page of a campaign's recipients, for the report's drill-down. */
		recipients: {
			...internal,
			handler(ctx: Context<P.RecipientsParams>): Promise<{ items: P.RecipientDto[]; total: number }> {
				return this.outbox.recipients(ctx.params);
			},
		},
	},

	methods: {
		touched(campaignIds) {
			for (const id of campaignIds) this.dirty.add(id);
			return campaignIds;
		},
	},

	created() {
		const env = readEnv();
		this.settings = { ...{ expiryHours: env.messageExpiryHours, progressIntervalMs: env.progressIntervalMs }, ...this.settings };
		this.dirty = new Set();
		this.timers = [];
	},

	started() {
		this.outbox = new Outbox(sqlOf(this.broker));
		this.timers.push(
			// Counters are pushed aggregated: the campaigns whose messages changed, a few times a second at most.
			setInterval(() => {
				if (this.dirty.size === 0) return;
				const campaignIds = [...this.dirty];
				this.dirty.clear();
				void this.broker.emit<E.MessagesProgressed>(E.MESSAGES_PROGRESSED, { campaignIds });
			}, this.settings.progressIntervalMs),
			setInterval(() => {
				void this.outbox
					.expire()
					.then(ids => this.touched(ids))
					.catch(err => this.logger.warn(`Expiring messages failed: ${err.message}`));
			}, 60_000),
		);
		for (const timer of this.timers) timer.unref();
	},

	stopped() {
		for (const timer of this.timers) clearInterval(timer);
	},
};

export default MessagesService;

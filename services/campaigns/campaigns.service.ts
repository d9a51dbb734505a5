import { Errors, type Context, type Service } from 'moleculer';
import type { FleetServiceSchema } from '../../mixins/service-schema.ts';
import { userOf } from '../../mixins/auth.middleware.ts';
import { EnvSettingsMixin } from '../../mixins/env-settings.mixin.ts';
import { emOf, sqlOf } from '../../mixins/orm.middleware.ts';
import { recordOf } from '../../mixins/record.middleware.ts';
import { TickerMixin, type TickerMethods } from '../../mixins/ticker.mixin.ts';
import * as ME from '../messages/messages.events.ts';
import type { MessageContent, RecipientDto as MessageRecipientDto, RecipientFields } from '../messages/messages.params.ts';
import { Campaign, CAMPAIGN_STATUSES, type CampaignStatus } from './campaign.entity.ts';
import { applyFields, cloneScheduledAt, toCampaignDto } from './campaign-dto.ts';
import { progressMethods, sourceOf, type CampaignsLocals, type CampaignsSettings, type ProgressMethods } from './campaign-progress.ts';
import { CampaignClock } from './firing.ts';
import * as E from './campaigns.events.ts';
import * as P from './campaigns.params.ts';
import { parseInstant } from '../shared/zoned-time.ts';

const { MoleculerClientError, ValidationError } = Errors;

interface Methods extends ProgressMethods, TickerMethods {
	saveCampaign(ctx: Context, campaign: Campaign, fields: Partial<P.CampaignFields>): Promise<P.CampaignDto>;
	requeue(campaign: Campaign, action: 'messages.retryFailed' | 'messages.retryInterrupted', deviceId: string | undefined): Promise<{ retried: number }>;
}

type This = Service<CampaignsSettings> & Methods & CampaignsLocals;

/** The caller's campaign named by `:id`, loaded before the handler (404 otherwise). */
const ownCampaign = { entity: Campaign, notFound: 'No such campaign.' };
const OPEN: CampaignStatus[] = ['draft', 'scheduled'];

/** Campaigns: their calendar, firing exactly once when due, reports and retries. */
const CampaignsService: FleetServiceSchema<CampaignsSettings, Methods, CampaignsLocals> = {
	name: 'campaigns',

	mixins: [
		EnvSettingsMixin<CampaignsSettings>(env => ({ tickMs: env.campaignTickMs, firingStaleMs: 30_000, firingPage: 20_000, firingParallelism: 2 })),
		TickerMixin<This>({
			fire: { everyMs: settings => settings.tickMs, run: fireDueRun },
			// Counters are pushed on change; this catches a campaign whose last change was announced by a node that died.
			settleRunning: {
				everyMs: 30_000,
				async run() {
					for (const id of await this.clock.runningFired(100)) await this.settle(id);
				},
			},
		}),
	],

	settings: {} as CampaignsSettings,

	actions: {
		list: {
			rest: 'GET /campaigns',
			params: P.listParams,
			async handler(ctx: Context<P.ListParams>): Promise<P.ListDto> {
				const userId = userOf(ctx).id;
				const where: Record<string, unknown> = { user: userId };
				const range: Record<string, Date> = {};
				for (const [bound, op] of [['from', '$gte'], ['to', '$lt']] as const) {
					const text = ctx.params[bound];
					if (!text) continue;
					const at = parseInstant(text);
					if (!at) throw new ValidationError('Some fields are not valid.', 'VALIDATION_ERROR', [{ field: bound, message: 'Use a date and time in ISO 8601 with its offset, e.g. 2026-12-01T00:00:00+08:00.', type: bound }]);
					range[op] = at;
				}
				if (Object.keys(range).length) where.scheduledAt = range;
				if (ctx.params.status) where.status = ctx.params.status;
				const em = emOf(ctx);
				const [campaigns, counts] = await Promise.all([
					em.find(Campaign, where as never, { orderBy: { scheduledAt: 'asc' }, limit: 1000 }),
					sqlOf(this.broker).execute<{ status: CampaignStatus; n: number }[]>(`select status, count(*)::int as n from campaigns where user_id = ? group by status`, [userId]),
				]);
				const summary = Object.fromEntries(CAMPAIGN_STATUSES.map(s => [s, 0])) as Record<CampaignStatus, number>;
				for (const row of counts) summary[row.status] = row.n;
				return { items: campaigns.map(toCampaignDto), summary };
			},
		},

		create: {
			rest: 'POST /campaigns',
			params: P.createParams,
			async handler(ctx: Context<P.CampaignFields, { $statusCode?: number }>) {
				const campaign = emOf(ctx).create(Campaign, { user: userOf(ctx).id, title: '', scheduledAt: new Date(), message: '' } as never) as Campaign;
				const dto = await this.saveCampaign(ctx, campaign, ctx.params);
				ctx.meta.$statusCode = 201;
				return dto;
			},
		},

		get: {
			rest: 'GET /campaigns/:id',
			params: P.idParams,
			record: ownCampaign,
			handler(ctx: Context<P.IdParams>) {
				return toCampaignDto(recordOf<Campaign>(ctx));
			},
		},

		/** Edits a campaign that has not fired yet. */
		update: {
			rest: 'PATCH /campaigns/:id',
			params: P.updateParams,
			record: ownCampaign,
			async handler(ctx: Context<P.UpdateParams>) {
				const { id: _id, ...fields } = ctx.params;
				const campaign = recordOf<Campaign>(ctx);
				if (!OPEN.includes(campaign.status)) throw new MoleculerClientError('This campaign has already fired; clone it to send again.', 409, 'CAMPAIGN_STATE');
				return this.saveCampaign(ctx, campaign, fields);
			},
		},

		/** Deletes the campaign; what it has not sent yet is cancelled first (never left to go out). */
		remove: {
			rest: 'DELETE /campaigns/:id',
			params: P.idParams,
			record: ownCampaign,
			async handler(ctx: Context<P.IdParams, { $statusCode?: number }>) {
				const campaign = recordOf<Campaign>(ctx);
				await this.clock.transition(campaign.id, ['draft', 'scheduled', 'running'], 'cancelled', 'Deleted');
				await this.stopMessages(campaign.id, 'cancelled: the campaign was deleted');
				await emOf(ctx).nativeDelete(Campaign, { id: campaign.id, user: userOf(ctx).id });
				ctx.broadcast<E.CampaignDeleted>(E.CAMPAIGN_DELETED, { userId: userOf(ctx).id, campaignId: campaign.id });
				ctx.meta.$statusCode = 204;
				return null;
			},
		},

		/** A draft copy: same fields, title + " (Copy)", today at the same local time. */
		clone: {
			rest: 'POST /campaigns/:id/clone',
			params: P.idParams,
			record: ownCampaign,
			async handler(ctx: Context<P.IdParams, { $statusCode?: number }>) {
				const source = recordOf<Campaign>(ctx);
				const { timeZone } = await ctx.call<{ timeZone: string }>('users.me');
				const copy = emOf(ctx).create(Campaign, { user: userOf(ctx).id, title: '', scheduledAt: new Date(), message: '' } as never) as Campaign;
				const dto = await this.saveCampaign(ctx, copy, {
					title: `${source.title} (Copy)`.slice(0, 200),
					scheduledAt: cloneScheduledAt(source.scheduledAt, timeZone, new Date()).toISOString(),
					niche: source.niche,
					targetStatus: source.targetStatus,
					message: source.message,
					imageUrl: source.imageUrl,
					mediaId: source.mediaId,
					greeting: source.greeting as P.CampaignFields['greeting'],
					minDelaySeconds: source.minDelaySeconds,
					maxDelaySeconds: source.maxDelaySeconds,
					draft: true,
				});
				ctx.meta.$statusCode = 201;
				return dto;
			},
		},

		/** Stops a campaign: nothing more is sent (a message already going out finishes). */
		cancel: {
			rest: 'POST /campaigns/:id/cancel',
			params: P.idParams,
			record: ownCampaign,
			async handler(ctx: Context<P.IdParams>) {
				const campaign = recordOf<Campaign>(ctx);
				if (!(await this.clock.transition(campaign.id, ['draft', 'scheduled', 'running'], 'cancelled', 'Cancelled by the user'))) {
					throw new MoleculerClientError('This campaign has already ended.', 409, 'CAMPAIGN_STATE');
				}
				await this.stopMessages(campaign.id, 'cancelled: the campaign was cancelled');
				await this.settle(campaign.id, true);
				await emOf(ctx).refresh(campaign);
				return toCampaignDto(campaign);
			},
		},

		report: {
			rest: 'GET /campaigns/:id/report',
			params: P.idParams,
			record: ownCampaign,
			handler(ctx: Context<P.IdParams>) {
				return this.report(recordOf<Campaign>(ctx));
			},
		},

		recipients: {
			rest: 'GET /campaigns/:id/recipients',
			params: P.recipientsParams,
			record: ownCampaign,
			async handler(ctx: Context<P.RecipientsParams>): Promise<P.RecipientsDto> {
				const campaign = recordOf<Campaign>(ctx);
				const page = ctx.params.page ?? 1;
				const pageSize = ctx.params.pageSize ?? 50;
				const { items, total } = await ctx.call<{ items: MessageRecipientDto[]; total: number }, object>('messages.recipients', {
					...sourceOf(campaign.id),
					deviceId: ctx.params.device,
					status: ctx.params.status,
					limit: pageSize,
					offset: (page - 1) * pageSize,
				});
				// Names as the leads have them now.
				const ids = items.flatMap(r => r.leadId ?? []);
				const leads = ids.length ? await ctx.call<Record<string, RecipientFields>, { ids: string[] }>('leads.messageFields', { ids }) : {};
				const named = items.map(r => ({ ...r, name: (r.leadId && leads[r.leadId]?.userId === campaign.user.id && leads[r.leadId].name) || null }));
				return { items: named, total, page, pageSize };
			},
		},

		/** Queues the failed messages again (of one device, or all); the campaign runs until they end. */
		retryFailed: {
			rest: 'POST /campaigns/:id/retry-failed',
			params: P.retryParams,
			record: ownCampaign,
			handler(ctx: Context<P.RetryParams>) {
				return this.requeue(recordOf<Campaign>(ctx), 'messages.retryFailed', ctx.params.deviceId);
			},
		},

		/**
		 * Resends the messages whose send a stopped node cut off. Separate from retrying failures:
		 * WhatsApp may have delivered one already, so the caller says it accepts a possible duplicate.
		 */
		resendInterrupted: {
			rest: 'POST /campaigns/:id/resend-interrupted',
			params: P.resendInterruptedParams,
			record: ownCampaign,
			handler(ctx: Context<P.ResendInterruptedParams>) {
				return this.requeue(recordOf<Campaign>(ctx), 'messages.retryInterrupted', ctx.params.deviceId);
			},
		},

		/** Fires due campaigns now (the loop does it every CAMPAIGN_TICK_MS). Internal. */
		tick: {
			visibility: 'public',
			auth: 'public',
			handler() {
				return this.tickNow('fire');
			},
		},

		/** What a campaign's messages say, for the node sending them (the outbox keeps no copy). Internal. */
		messageContent: {
			visibility: 'public',
			auth: 'public',
			async handler(ctx: Context<{ ids: string[] }>): Promise<Record<string, MessageContent>> {
				const campaigns = await emOf(ctx).find(Campaign, { id: { $in: ctx.params.ids } });
				return Object.fromEntries(
					campaigns.map(c => [
						c.id,
						{
							userId: c.user.id,
							...(c.status === 'cancelled' ? { stopped: 'the campaign was cancelled' } : {}),
							text: c.message,
							greeting: c.greeting,
							mediaId: c.mediaId ?? null,
							minDelaySeconds: c.minDelaySeconds,
							maxDelaySeconds: c.maxDelaySeconds,
						},
					]),
				);
			},
		},
	},

	events: {
		/** Messages settled: push the counters (aggregated) and end the campaigns that are done. */
		[ME.MESSAGES_SETTLED]: {
			async handler(ctx: Context<ME.MessagesSettled>) {
				const ids = new Set(ctx.params.messages.filter(m => m.source === 'campaign').map(m => m.sourceId));
				for (const id of ids) await this.settle(id).catch(err => this.logger.warn(`Campaign ${id} progress: ${err.message}`));
			},
		},
	},

	methods: {
		...progressMethods,

		/** Queues failed messages again through `action`; the campaign runs until they end. */
		async requeue(campaign, action, deviceId) {
			if (OPEN.includes(campaign.status) || campaign.status === 'cancelled') throw new MoleculerClientError('Only a campaign that has fired can send its failed messages again.', 409, 'CAMPAIGN_STATE');
			const { retried } = await this.broker.call<{ retried: number }, object>(action, { ...sourceOf(campaign.id), deviceId });
			if (retried > 0) await this.clock.transition(campaign.id, ['completed', 'completed_with_failures', 'failed'], 'running', null);
			await this.settle(campaign.id, true);
			return { retried };
		},

		async saveCampaign(ctx, campaign, fields) {
			await applyFields(ctx, campaign, fields);
			await emOf(ctx).flush();
			const dto = toCampaignDto(campaign);
			ctx.broadcast(E.CAMPAIGN_UPDATED, { userId: userOf(ctx).id, campaign: dto } satisfies E.CampaignUpdated);
			// A campaign due already (or soon) need not wait for the next tick.
			if (campaign.status === 'scheduled' && campaign.scheduledAt.getTime() <= Date.now()) void this.tickNow('fire');
			return dto;
		},

	},

	started() {
		this.clock = new CampaignClock(sqlOf(this.broker), this.broker.nodeID);
	},
};

/**
 * Claims due and abandoned firings (atomically: each goes to one node) and runs them. A firing
 * that fails is let go at once, so the next tick, here or on another node, resumes it.
 */
async function fireDueRun(this: This): Promise<void> {
	const claimed = [...(await this.clock.claimDue(10)), ...(await this.clock.claimAbandoned(this.settings.firingStaleMs, 10))];
	for (const campaign of claimed) {
		try {
			await this.fire(campaign);
		} catch (err) {
			this.logger.error(`Firing campaign ${campaign.id} failed; it is resumed at the next tick: ${(err as Error).message}`);
			await this.clock.release(campaign.id).catch(() => undefined);
		}
	}
}

export default CampaignsService;

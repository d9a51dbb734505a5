import { Errors, type Context } from 'moleculer';
import type { FleetServiceSchema } from '../../mixins/service-schema.ts';
import { userOf } from '../../mixins/auth.middleware.ts';
import { readEnv } from '../../mixins/env.ts';
import { databaseOf, emOf, sqlOf } from '../../mixins/orm.middleware.ts';
import * as ME from '../messages/messages.events.ts';
import type { EnqueueParams, RecipientDto } from '../messages/messages.params.ts';
import { EMPTY_COUNTERS, type Counters } from '../messages/outbox.ts';
import { Campaign, CAMPAIGN_STATUSES, type CampaignStatus } from './campaign.entity.ts';
import { applyFields, cloneScheduledAt, toCampaignDto } from './campaign-dto.ts';
import { CampaignClock, type FiringCampaign } from './firing.ts';
import * as E from './campaigns.events.ts';
import * as P from './campaigns.params.ts';

const { MoleculerClientError } = Errors;

interface Settings {
	tickMs: number;
	/** A firing whose node has not beaten for this long is taken over. */
	firingStaleMs: number;
	/** Leads read per page while firing. */
	firingPage: number;
}

/** A lead as `leads.recipients` returns it. */
interface RecipientLead {
	id: string;
	deviceId: string;
	name: string;
	phone: string;
	niches: string[];
	targetStatus: string;
	notes: string | null;
	optedOut: boolean;
}

interface Methods {
	ownCampaign(ctx: Context, id: string): Promise<Campaign>;
	saveCampaign(ctx: Context, campaign: Campaign, fields: Partial<P.CampaignFields>): Promise<P.CampaignDto>;
	report(campaign: Campaign): Promise<P.ReportDto>;
	fire(campaign: FiringCampaign): Promise<void>;
	settle(campaignId: string, changed?: boolean): Promise<void>;
	tick(): Promise<void>;
}

interface Locals {
	clock: CampaignClock;
	timers: NodeJS.Timeout[];
	ticking?: Promise<void>;
}

const notFound = () => new MoleculerClientError('No such campaign.', 404, 'NOT_FOUND');
const OPEN: CampaignStatus[] = ['draft', 'scheduled'];
/** Ends judged from the messages' statuses (not a cancel, not "no device online"). */
const ENDED_BY_COUNTERS: CampaignStatus[] = ['completed', 'completed_with_failures', 'failed'];

/** How a fired campaign with nothing pending or sending ends, by its counters. */
function outcomeOf(totals: Counters): [CampaignStatus, string | null] {
	const reached = totals.sent + totals.delivered + totals.read;
	if (totals.failed === 0) return ['completed', null];
	if (reached === 0) return ['failed', `All ${totals.failed} messages failed.`];
	return ['completed_with_failures', `${totals.failed} of ${totals.failed + reached} messages failed.`];
}

/** SPEC §4: campaigns, their calendar, firing exactly once when due, reports and retries. */
const CampaignsService: FleetServiceSchema<Settings, Methods, Locals> = {
	name: 'campaigns',

	settings: {} as Settings,

	actions: {
		list: {
			rest: 'GET /campaigns',
			params: P.listParams,
			async handler(ctx: Context<P.ListParams>): Promise<P.ListDto> {
				const userId = userOf(ctx).id;
				const where: Record<string, unknown> = { user: userId };
				const range: Record<string, Date> = {};
				if (ctx.params.from && !Number.isNaN(Date.parse(ctx.params.from))) range.$gte = new Date(ctx.params.from);
				if (ctx.params.to && !Number.isNaN(Date.parse(ctx.params.to))) range.$lt = new Date(ctx.params.to);
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
			async handler(ctx: Context<P.IdParams>) {
				return toCampaignDto(await this.ownCampaign(ctx, ctx.params.id));
			},
		},

		/** Edits a campaign that has not fired yet. */
		update: {
			rest: 'PATCH /campaigns/:id',
			params: P.updateParams,
			async handler(ctx: Context<P.UpdateParams>) {
				const { id, ...fields } = ctx.params;
				const campaign = await this.ownCampaign(ctx, id);
				if (!OPEN.includes(campaign.status)) throw new MoleculerClientError('This campaign has already fired; clone it to send again.', 409, 'CAMPAIGN_STATE');
				return this.saveCampaign(ctx, campaign, fields);
			},
		},

		/** Deletes the campaign; what it has not sent yet is cancelled first (never left to go out). */
		remove: {
			rest: 'DELETE /campaigns/:id',
			params: P.idParams,
			async handler(ctx: Context<P.IdParams, { $statusCode?: number }>) {
				const campaign = await this.ownCampaign(ctx, ctx.params.id);
				await this.clock.transition(campaign.id, ['draft', 'scheduled', 'running'], 'cancelled', 'Deleted');
				await ctx.call('messages.cancel', { campaignId: campaign.id, reason: 'cancelled: the campaign was deleted' });
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
			async handler(ctx: Context<P.IdParams, { $statusCode?: number }>) {
				const source = await this.ownCampaign(ctx, ctx.params.id);
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
			async handler(ctx: Context<P.IdParams>) {
				const campaign = await this.ownCampaign(ctx, ctx.params.id);
				if (!(await this.clock.transition(campaign.id, ['draft', 'scheduled', 'running'], 'cancelled', 'Cancelled by the user'))) {
					throw new MoleculerClientError('This campaign has already ended.', 409, 'CAMPAIGN_STATE');
				}
				await ctx.call('messages.cancel', { campaignId: campaign.id, reason: 'cancelled: the campaign was cancelled' });
				await this.settle(campaign.id, true);
				await emOf(ctx).refresh(campaign);
				return toCampaignDto(campaign);
			},
		},

		report: {
			rest: 'GET /campaigns/:id/report',
			params: P.idParams,
			async handler(ctx: Context<P.IdParams>) {
				return this.report(await this.ownCampaign(ctx, ctx.params.id));
			},
		},

		recipients: {
			rest: 'GET /campaigns/:id/recipients',
			params: P.recipientsParams,
			async handler(ctx: Context<P.RecipientsParams>): Promise<P.RecipientsDto> {
				const campaign = await this.ownCampaign(ctx, ctx.params.id);
				const page = ctx.params.page ?? 1;
				const pageSize = ctx.params.pageSize ?? 50;
				const result = await ctx.call<{ items: RecipientDto[]; total: number }, object>('messages.recipients', {
					campaignId: campaign.id,
					deviceId: ctx.params.device,
					status: ctx.params.status,
					limit: pageSize,
					offset: (page - 1) * pageSize,
				});
				return { ...result, page, pageSize };
			},
		},

		/** Queues the failed messages again (of one device, or all); the campaign runs until they end. */
		retryFailed: {
			rest: 'POST /campaigns/:id/retry-failed',
			params: P.retryParams,
			async handler(ctx: Context<P.RetryParams>) {
				const campaign = await this.ownCampaign(ctx, ctx.params.id);
				if (OPEN.includes(campaign.status) || campaign.status === 'cancelled') throw new MoleculerClientError('Only a campaign that has fired can retry its failed messages.', 409, 'CAMPAIGN_STATE');
				const { retried } = await ctx.call<{ retried: number }, object>('messages.retryFailed', { campaignId: campaign.id, deviceId: ctx.params.deviceId });
				if (retried > 0) await this.clock.transition(campaign.id, ['completed', 'completed_with_failures', 'failed'], 'running', null);
				await this.settle(campaign.id, true);
				return { retried };
			},
		},

		/** Fires due campaigns now (the loop does it every CAMPAIGN_TICK_MS). Internal. */
		tick: {
			visibility: 'public',
			auth: 'public',
			handler() {
				return this.tick();
			},
		},
	},

	events: {
		/** Messages changed: push the counters (aggregated) and end the campaigns that are done. */
		[ME.MESSAGES_PROGRESSED]: {
			async handler(ctx: Context<ME.MessagesProgressed>) {
				for (const id of ctx.params.campaignIds) await this.settle(id).catch(err => this.logger.warn(`Campaign ${id} progress: ${err.message}`));
			},
		},
	},

	methods: {
		async ownCampaign(ctx, id) {
			const campaign = await emOf(ctx).findOne(Campaign, { id, user: userOf(ctx).id });
			if (!campaign) throw notFound();
			return campaign;
		},

		async saveCampaign(ctx, campaign, fields) {
			await applyFields(ctx, campaign, fields);
			await emOf(ctx).flush();
			const dto = toCampaignDto(campaign);
			ctx.broadcast(E.CAMPAIGN_UPDATED, { userId: userOf(ctx).id, campaign: dto } satisfies E.CampaignUpdated);
			// A campaign due already (or soon) need not wait for the next tick.
			if (campaign.status === 'scheduled' && campaign.scheduledAt.getTime() <= Date.now()) void this.tick();
			return dto;
		},

		async report(campaign) {
			const perDevice = await this.broker.call<Record<string, Counters>, object>('messages.counts', { campaignId: campaign.id });
			const totals: Counters = { ...EMPTY_COUNTERS };
			const devices = Object.entries(perDevice).map(([deviceId, counters]) => {
				for (const key of Object.keys(totals) as (keyof Counters)[]) totals[key] += counters[key];
				return { deviceId, ...counters };
			});
			// Should-send is the number frozen at firing (messages of deleted devices are gone since).
			if (campaign.firingDone) totals.shouldSend = campaign.shouldSend;
			return { campaignId: campaign.id, status: campaign.status, statusReason: campaign.statusReason ?? null, skippedOptedOut: campaign.skippedOptedOut, totals, devices };
		},

		/** Creates one message per matching lead from the lead's own number; safe to run again after a crash. */
		async fire(campaign) {
			const online = await this.broker.call<string[], object>('devices.onlineOf', { userId: campaign.userId });
			if (online.length === 0) {
				await this.clock.transition(campaign.id, ['running'], 'failed', 'No device was online when the campaign was due.');
				return this.settle(campaign.id, true);
			}
			const page = (after?: string) =>
				this.broker.call<{ leads: RecipientLead[] }, object>('leads.recipients', {
					userId: campaign.userId,
					niche: campaign.niche,
					targetStatus: campaign.targetStatus,
					after,
					limit: this.settings.firingPage,
				});
			let skipped = 0;
			let next = page();
			for (;;) {
				const { leads } = await next;
				if (leads.length === 0) break;
				// The next page is read while this one is written.
				const more = leads.length === this.settings.firingPage;
				if (more) {
					next = page(leads[leads.length - 1].id);
					next.catch(() => undefined);
				}
				const recipients = leads.filter(l => !l.optedOut);
				skipped += leads.length - recipients.length;
				if (!(await this.clock.beat(campaign.id))) return; // cancelled or taken over meanwhile
				const batch: EnqueueParams = {
					userId: campaign.userId,
					source: 'campaign',
					campaignId: campaign.id,
					body: campaign.message,
					greeting: campaign.greeting,
					mediaId: campaign.mediaId,
					imageUrl: campaign.imageUrl,
					minDelaySeconds: campaign.minDelaySeconds,
					maxDelaySeconds: campaign.maxDelaySeconds,
					recipients: recipients.map(l => ({
						deviceId: l.deviceId,
						leadId: l.id,
						recipient: l.phone,
						vars: { name: l.name, niches: l.niches, targetStatus: l.targetStatus, notes: l.notes },
					})),
				};
				if (recipients.length) await this.broker.call('messages.enqueue', batch);
				if (!more) break;
			}
			const counts = await this.broker.call<Record<string, Counters>, object>('messages.counts', { campaignId: campaign.id });
			const shouldSend = Object.values(counts).reduce((n, c) => n + c.shouldSend, 0);
			if (!(await this.clock.fired(campaign.id, shouldSend, skipped))) return;
			if (shouldSend === 0) {
				await this.clock.transition(campaign.id, ['running'], 'completed', skipped ? 'Every matching lead has opted out.' : 'No lead matched the niche and target status.');
			}
			await this.settle(campaign.id, true);
		},

		/**
		 * Pushes the counters to the owner; a fired campaign with nothing pending or sending ends, and
		 * an ended one whose outcome a late receipt changed is corrected.
		 * `changed`: the caller changed the campaign itself, so the whole record goes out too.
		 */
		async settle(campaignId, changed = false) {
			const em = databaseOf(this.broker).orm.em.fork();
			const campaign = await em.findOne(Campaign, { id: campaignId });
			if (!campaign) return;
			let report = await this.report(campaign);
			const { totals } = report;
			// A receipt can settle an interrupted send after the end; a campaign without messages keeps its reason.
			const judged = campaign.status === 'running' || (ENDED_BY_COUNTERS.includes(campaign.status) && totals.shouldSend > 0);
			if (judged && campaign.firingDone && totals.pending + totals.sending === 0) {
				const [status, reason] = outcomeOf(totals);
				const changes = status !== campaign.status || reason !== (campaign.statusReason ?? null);
				if (changes && (await this.clock.transition(campaignId, [campaign.status], status, reason))) {
					await em.refresh(campaign);
					report = { ...report, status: campaign.status, statusReason: campaign.statusReason ?? null };
					changed = true;
				}
			}
			const userId = campaign.user.id;
			if (changed) this.broker.broadcast<E.CampaignUpdated>(E.CAMPAIGN_UPDATED, { userId, campaign: toCampaignDto(campaign) });
			this.broker.broadcast<E.CampaignProgress>(E.CAMPAIGN_PROGRESS, { userId, report });
		},

		/** Claims due and abandoned firings (atomically: each goes to one node) and runs them. */
		tick() {
			if (this.ticking) return this.ticking;
			this.ticking = (async () => {
				try {
					const claimed = [...(await this.clock.claimDue(10)), ...(await this.clock.claimAbandoned(this.settings.firingStaleMs, 10))];
					for (const campaign of claimed) {
						await this.fire(campaign).catch(err => this.logger.error(`Firing campaign ${campaign.id} failed (another node resumes it): ${err.message}`));
					}
				} catch (err) {
					this.logger.warn(`Campaign tick failed: ${(err as Error).message}`);
				}
			})().finally(() => (this.ticking = undefined));
			return this.ticking;
		},
	},

	created() {
		const env = readEnv();
		this.settings = { ...{ tickMs: env.campaignTickMs, firingStaleMs: 30_000, firingPage: 5_000 }, ...this.settings };
		this.timers = [];
	},

	started() {
		this.clock = new CampaignClock(sqlOf(this.broker), this.broker.nodeID);
		this.timers.push(
			setInterval(() => void this.tick(), this.settings.tickMs),
			// Counters are pushed on change; this catches a campaign whose last change was announced by a node that died.
			setInterval(() => {
				void this.clock
					.runningFired(100)
					.then(ids => Promise.all(ids.map(id => this.settle(id))))
					.catch(err => this.logger.warn(`Settling campaigns failed: ${err.message}`));
			}, 30_000),
		);
		for (const timer of this.timers) timer.unref();
	},

	async stopped() {
		for (const timer of this.timers) clearInterval(timer);
		await this.ticking;
	},
};

export default CampaignsService;

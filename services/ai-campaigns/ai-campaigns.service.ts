import { Errors, type Context, type Service } from 'moleculer';
import type { FleetServiceSchema } from '../../mixins/service-schema.ts';
import { userOf } from '../../mixins/auth.middleware.ts';
import { EnvSettingsMixin } from '../../mixins/env-settings.mixin.ts';
import { emOf, sqlOf } from '../../mixins/orm.middleware.ts';
import { recordOf } from '../../mixins/record.middleware.ts';
import { TickerMixin, type TickerMethods } from '../../mixins/ticker.mixin.ts';
import { applyFields, type EditableCampaign } from '../campaigns/campaign-dto.ts';
import { INBOX_RECEIVED, type InboxReceived } from '../inbox/inbox.events.ts';
import type { LeadMessageFields } from '../leads/leads.params.ts';
import { StopWords } from '../leads/stop-words.ts';
import * as ME from '../messages/messages.events.ts';
import type { CancelParams, MessageContent } from '../messages/messages.params.ts';
import { AiCampaign } from './ai-campaign.entity.ts';
import { AiLeadStore } from '../ai-leads/ai-lead-store.ts';
import * as E from './ai-campaigns.events.ts';
import * as P from './ai-campaigns.params.ts';
import { roundMethods, source, type RoundLocals, type RoundMethods } from './ai-campaign-rounds.ts';
import { Distribution } from './distribution.ts';

const { MoleculerClientError, ValidationError } = Errors;

interface Settings {
	stopWords: string[];
	/** What a dead node left half done is picked up after this long. */
	orphanAfterSeconds: number;
}

interface Locals extends RoundLocals {
	distribution: Distribution;
	pool: AiLeadStore;
	stopWords: StopWords;
}

interface Methods extends TickerMethods, RoundMethods {
	save(ctx: Context, campaign: AiCampaign, fields: Partial<P.AiCampaignFields>): Promise<void>;
	dto(campaign: AiCampaign): P.AiCampaignDto;
	announce(userId: string, campaign: AiCampaign): void;
}

type This = Service<Settings> & Methods & Locals;

const internal = { visibility: 'public', auth: 'public' } as const;
const own = { entity: AiCampaign, notFound: 'No such AI campaign.' } as const;
const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);
const invalid = (field: string, message: string) => new ValidationError('Some fields are not valid.', 'VALIDATION_ERROR', [{ field, message, type: field }]);

/**
 * AI campaigns: the pool's leads of one niche and target status, given round-robin to the user's
 * online numbers a few at a time (each number takes at most `deviceLimit`), failed over when a
 * number fails three sends in a row or goes offline. Every statement is an atomic claim in the
 * database: any number of nodes tick at once.
 */
const AiCampaignsService: FleetServiceSchema<Settings, Methods, Locals> = {
	name: 'ai-campaigns',

	mixins: [
		EnvSettingsMixin<Settings>(env => ({ stopWords: env.leadStopWords, orphanAfterSeconds: env.orphanAfterSeconds })),
		TickerMixin<This>({
			/** Due campaigns start; every running one gets its next round of leads. */
			assign: {
				everyMs: 1_000,
				async run() {
					for (const fired of await this.distribution.fireDue()) this.dirty.add(fired.id);
					for (const id of await this.distribution.runningIds()) await this.assign(id);
				},
			},
			/** What a node that died left half done: leads assigned with no message, outcomes never applied. */
			recover: {
				everyMs: settings => Math.min(30_000, settings.orphanAfterSeconds * 500),
				async run() {
					const orphans = await this.distribution.orphaned(this.settings.orphanAfterSeconds);
					for (const campaignId of new Set(orphans.map(o => o.campaignId))) {
						const list = orphans.filter(o => o.campaignId === campaignId);
						await this.enqueue(list[0]!.userId, campaignId, list);
					}
					for (const outcome of await this.distribution.unsettled(this.settings.orphanAfterSeconds)) {
						const applied = await this.distribution.apply(outcome);
						if (applied) this.dirty.add(applied.campaignId);
					}
				},
			},
			progress: {
				everyMs: 1_000,
				async run() {
					const ids = [...this.dirty];
					this.dirty.clear();
					for (const id of ids) {
						const [campaign] = await sqlOf(this.broker).execute<{ user_id: string }[]>(`select user_id from ai_campaigns where id = ?`, [id]);
						const report = campaign && (await this.report(id));
						if (!campaign || !report) continue;
						void this.broker.broadcast<E.AiCampaignProgress>(E.AI_CAMPAIGN_PROGRESS, { userId: campaign.user_id, campaignId: id, report });
						void this.broker.broadcast<E.AiLeadsChanged>(E.AI_LEADS_CHANGED, { userId: campaign.user_id });
					}
				},
			},
		}),
	],

	actions: {
		list: {
			rest: 'GET /ai-campaigns',
			async handler(ctx: Context): Promise<P.AiCampaignDto[]> {
				const campaigns = await emOf(ctx).find(AiCampaign, { user: userOf(ctx).id }, { orderBy: { scheduledAt: 'desc' }, limit: 1000 });
				return campaigns.map(c => this.dto(c));
			},
		},

		create: {
			rest: 'POST /ai-campaigns',
			params: P.createParams,
			async handler(ctx: Context<P.AiCampaignFields, { $statusCode?: number }>) {
				const userId = userOf(ctx).id;
				const campaign = emOf(ctx).create(AiCampaign, { user: userId, title: '', scheduledAt: new Date(), message: '', deviceLimit: 1 } as never) as AiCampaign;
				await this.save(ctx, campaign, ctx.params);
				ctx.meta.$statusCode = 201;
				return this.dto(campaign);
			},
		},

		get: {
			rest: 'GET /ai-campaigns/:id',
			params: P.idParams,
			record: own,
			handler(ctx: Context<P.IdParams>) {
				return this.dto(recordOf<AiCampaign>(ctx));
			},
		},

		/** Edits a campaign that has not started. */
		update: {
			rest: 'PATCH /ai-campaigns/:id',
			params: P.updateParams,
			record: own,
			async handler(ctx: Context<P.UpdateParams>) {
				const campaign = recordOf<AiCampaign>(ctx);
				if (campaign.status !== 'scheduled') throw new MoleculerClientError(`This campaign is ${campaign.status}: only a scheduled one can be edited.`, 409, 'NOT_EDITABLE');
				const { id: _id, ...fields } = ctx.params;
				await this.save(ctx, campaign, fields);
				return this.dto(campaign);
			},
		},

		/** Stops a campaign: what its numbers have not sent goes back to the pool. */
		cancel: {
			rest: 'POST /ai-campaigns/:id/cancel',
			params: P.idParams,
			record: own,
			async handler(ctx: Context<P.IdParams>) {
				const campaign = recordOf<AiCampaign>(ctx);
				if (campaign.status === 'completed' || campaign.status === 'cancelled') throw new MoleculerClientError(`This campaign is ${campaign.status} already.`, 409, 'NOT_RUNNING');
				await sqlOf(this.broker).execute(`update ai_campaigns set status = 'cancelled', status_reason = 'Cancelled', finished_at = now(), updated_at = now() where id = ?`, [campaign.id]);
				await ctx.call<unknown, CancelParams>('messages.cancel', { ...source(campaign.id), reason: 'cancelled: the campaign was cancelled' });
				this.broker.broadcast<ME.MessageContentChanged>(ME.MESSAGE_CONTENT_CHANGED, source(campaign.id));
				await emOf(ctx).refresh(campaign);
				this.announce(userOf(ctx).id, campaign);
				this.dirty.add(campaign.id);
				return this.dto(campaign);
			},
		},

		/** Deletes a campaign: its unsent messages are cancelled and its leads go back to the pool. */
		remove: {
			rest: 'DELETE /ai-campaigns/:id',
			params: P.idParams,
			record: own,
			async handler(ctx: Context<P.IdParams, { $statusCode?: number }>) {
				const campaign = recordOf<AiCampaign>(ctx);
				const userId = userOf(ctx).id;
				await sqlOf(this.broker).execute(`update ai_campaigns set status = 'cancelled', updated_at = now() where id = ?`, [campaign.id]);
				await ctx.call<unknown, CancelParams>('messages.cancel', { ...source(campaign.id), reason: 'cancelled: the campaign was deleted' });
				this.broker.broadcast<ME.MessageContentChanged>(ME.MESSAGE_CONTENT_CHANGED, source(campaign.id));
				await sqlOf(this.broker).execute(
					`update ai_leads set status = 'pending', device_id = null, updated_at = now() where user_id = ? and campaign_id = ? and status = 'assigned'`,
					[userId, campaign.id],
				);
				await emOf(ctx).nativeDelete(AiCampaign, { id: campaign.id, user: userId });
				ctx.broadcast<E.AiCampaignDeleted>(E.AI_CAMPAIGN_DELETED, { userId, campaignId: campaign.id });
				ctx.broadcast<E.AiLeadsChanged>(E.AI_LEADS_CHANGED, { userId });
				ctx.meta.$statusCode = 204;
				return null;
			},
		},

		report: {
			rest: 'GET /ai-campaigns/:id/report',
			params: P.idParams,
			record: own,
			async handler(ctx: Context<P.IdParams>): Promise<P.AiCampaignReport> {
				return (await this.report(ctx.params.id))!;
			},
		},

		/** What the outbox renders a campaign's messages from. Internal. */
		messageContent: {
			...internal,
			async handler(ctx: Context<{ ids: string[] }>): Promise<Record<string, MessageContent>> {
				const campaigns = await emOf(ctx).find(AiCampaign, { id: { $in: ctx.params.ids } });
				return Object.fromEntries(
					campaigns.map(c => [
						c.id,
						{
							userId: (c.user as unknown as { id: string }).id,
							text: c.message,
							greeting: c.greeting,
							mediaId: c.mediaId ?? null,
							minDelaySeconds: c.minDelaySeconds,
							maxDelaySeconds: c.maxDelaySeconds,
							...(c.status === 'cancelled' ? { stopped: 'cancelled: the campaign was cancelled' } : {}),
						} satisfies MessageContent,
					]),
				);
			},
		},

		/** The fields a message uses, of these pool leads. Internal. */
		leadFields: {
			...internal,
			async handler(ctx: Context<{ ids: string[] }>): Promise<Record<string, LeadMessageFields>> {
				const rows = await sqlOf(this.broker).execute<LeadMessageFields[]>(
					`select id, user_id as "userId", name, niches, target_status as "targetStatus", notes, opted_out as "optedOut"
					 from ai_leads where id in (select jsonb_array_elements_text(?::jsonb)::uuid)`,
					[JSON.stringify(ctx.params.ids)],
				);
				return Object.fromEntries(rows.map(r => [r.id, r]));
			},
		},
	},

	events: {
		/** Outcomes of the campaigns' messages move their leads; a number failing three times in a row is emptied. */
		[ME.MESSAGES_SETTLED]: {
			async handler(ctx: Context<ME.MessagesSettled>) {
				for (const m of ctx.params.messages) {
					if (m.source !== 'ai' || m.status === 'pending' || m.status === 'sending') continue;
					// Delivered or read says it went out too: a receipt can overtake the send's own outcome (a number changing nodes).
					const status = m.status === 'failed' || m.status === 'cancelled' ? m.status : 'sent';
					const applied = await this.distribution.apply({ assignmentId: m.key, status, error: m.error });
					if (!applied) continue;
					this.dirty.add(applied.campaignId);
					if (applied.failedDevice) {
						await this.takeBack(applied.campaignId, applied.failedDevice, `cancelled: the number failed ${3} sends in a row; the lead went back to the pool`);
					}
				}
			},
		},

		/** A contact who answers with a stop word is never given to a number again. */
		[INBOX_RECEIVED]: {
			async handler(ctx: Context<InboxReceived>) {
				const { userId, from, text } = ctx.params;
				if (typeof text !== 'string' || !this.stopWords.matches(text)) return;
				const rows = await this.pool.optOut(userId, from.startsWith('+') ? from : `+${from}`);
				if (rows.length) ctx.broadcast<E.AiLeadsChanged>(E.AI_LEADS_CHANGED, { userId });
			},
		},
	},

	methods: {
		/** Applies the editor's fields (the numbers must be the user's own), saves, and fires at once when it is due. */
		async save(this: This, ctx: Context, campaign: AiCampaign, fields: Partial<P.AiCampaignFields>) {
			const { deviceLimit, deviceIds, ...message } = fields;
			await applyFields(ctx, campaign as unknown as EditableCampaign, message);
			if (deviceLimit !== undefined) campaign.deviceLimit = deviceLimit;
			if (deviceIds !== undefined) {
				if (deviceIds?.length) {
					const mine = new Set((await ctx.call<{ id: string }[]>('devices.list')).map(d => d.id));
					if (deviceIds.some(id => !mine.has(id))) throw invalid('deviceIds', 'Choose among your numbers.');
				}
				campaign.deviceIds = deviceIds?.length ? [...new Set(deviceIds)] : null;
			}
			await emOf(ctx).flush();
			this.announce(userOf(ctx).id, campaign);
			if (campaign.scheduledAt.getTime() <= Date.now()) void this.tickNow('assign');
		},

		...roundMethods,

		dto(c: AiCampaign): P.AiCampaignDto {
			return {
				id: c.id,
				title: c.title,
				scheduledAt: c.scheduledAt.toISOString(),
				niche: c.niche ?? null,
				targetStatus: c.targetStatus,
				message: c.message,
				imageUrl: c.imageUrl ?? null,
				mediaId: c.mediaId ?? null,
				greeting: c.greeting,
				deviceLimit: c.deviceLimit,
				minDelaySeconds: c.minDelaySeconds,
				maxDelaySeconds: c.maxDelaySeconds,
				deviceIds: c.deviceIds ?? null,
				status: c.status,
				statusReason: c.statusReason ?? null,
				firedAt: iso(c.firedAt),
				finishedAt: iso(c.finishedAt),
				createdAt: c.createdAt.toISOString(),
				updatedAt: c.updatedAt.toISOString(),
			};
		},

		announce(this: This, userId: string, campaign: AiCampaign) {
			void this.broker.broadcast<E.AiCampaignUpdated>(E.AI_CAMPAIGN_UPDATED, { userId, campaign: this.dto(campaign) });
		},
	},

	created() {
		this.dirty = new Set();
		this.stopWords = new StopWords(this.settings.stopWords);
	},

	started() {
		this.distribution = new Distribution(sqlOf(this.broker));
		this.pool = new AiLeadStore(sqlOf(this.broker));
	},
};

export default AiCampaignsService;

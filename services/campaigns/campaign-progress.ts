/** How a campaign runs: firing it into the outbox once, its report, and its end judged from its messages. */
import type { Service } from 'moleculer';
import { databaseOf } from '../../mixins/orm.middleware.ts';
import type { FleetServiceSchema } from '../../mixins/service-schema.ts';
import { leadIdRanges, type LeadIdRange } from '../leads/audience.ts';
import { MESSAGE_CONTENT_CHANGED, type MessageContentChanged } from '../messages/messages.events.ts';
import { EMPTY_COUNTERS, type Counters, type EnqueueLeadsParams, type EnqueueLeadsResult, type SourceRef } from '../messages/messages.params.ts';
import { Campaign, type CampaignStatus } from './campaign.entity.ts';
import { toCampaignDto } from './campaign-dto.ts';
import type { CampaignClock, FiringCampaign } from './firing.ts';
import * as E from './campaigns.events.ts';
import type * as P from './campaigns.params.ts';

export interface CampaignsSettings {
	tickMs: number;
	/** A firing whose node has not beaten for this long is taken over. */
	firingStaleMs: number;
	/** Leads turned into messages per statement while firing. */
	firingPage: number;
	/** Statements making one campaign's messages at once, each over its own slice of the leads. */
	firingParallelism: number;
}

export interface ProgressMethods {
	report(campaign: Campaign): Promise<P.ReportDto>;
	stopMessages(campaignId: string, reason: string): Promise<void>;
	fire(campaign: FiringCampaign): Promise<void>;
	settle(campaignId: string, changed?: boolean): Promise<void>;
}

export interface CampaignsLocals {
	clock: CampaignClock;
}

/** The outbox's name for a campaign's messages. */
export const sourceOf = (campaignId: string): SourceRef => ({ source: 'campaign', sourceId: campaignId });

/** Ends judged from the messages' statuses (not a cancel, not "no device online"). */
const ENDED_BY_COUNTERS: CampaignStatus[] = ['completed', 'completed_with_failures', 'failed'];

/** How a fired campaign with nothing pending or sending ends, by its counters. */
function outcomeOf(totals: Counters): [CampaignStatus, string | null] {
	const reached = totals.sent + totals.delivered + totals.read;
	if (totals.failed === 0) return ['completed', null];
	if (reached === 0) return ['failed', `All ${totals.failed} messages failed.`];
	return ['completed_with_failures', `${totals.failed} of ${totals.failed + reached} messages failed.`];
}

type This = Service<CampaignsSettings> & ProgressMethods & CampaignsLocals;

export const progressMethods: FleetServiceSchema<CampaignsSettings, ProgressMethods, CampaignsLocals>['methods'] = {
	async report(this: This, campaign) {
		const perDevice = await this.broker.call<Record<string, Counters>, SourceRef>('messages.counts', sourceOf(campaign.id));
		const totals: Counters = { ...EMPTY_COUNTERS };
		const devices = Object.entries(perDevice).map(([deviceId, counters]) => {
			for (const key of Object.keys(totals) as (keyof Counters)[]) totals[key] += counters[key];
			return { deviceId, ...counters };
		});
		// Should-send is the number frozen at firing (messages of deleted devices are gone since).
		if (campaign.firingDone) totals.shouldSend = campaign.shouldSend;
		return { campaignId: campaign.id, status: campaign.status, statusReason: campaign.statusReason ?? null, skippedOptedOut: campaign.skippedOptedOut, totals, devices };
	},

	/**
	 * One message per matching lead from the lead's own number, made by the outbox inside the
	 * database a page at a time; safe to run again after a crash (the outbox keys them by phone).
	 */
	async fire(this: This, campaign) {
		const online = await this.broker.call<string[], object>('devices.onlineOf', { userId: campaign.userId });
		if (online.length === 0) {
			await this.clock.transition(campaign.id, ['running'], 'failed', 'No device was online when the campaign was due.');
			return this.settle(campaign.id, true);
		}
		const { firingPage: limit, firingParallelism } = this.settings;
		/** One slice of the leads, a page at a time; false when the campaign was cancelled or taken over meanwhile. */
		const fireSlice = async ({ after, until }: LeadIdRange): Promise<number | false> => {
			let optedOut = 0;
			for (;;) {
				if (!(await this.clock.beat(campaign.id))) return false;
				const page = await this.broker.call<EnqueueLeadsResult, EnqueueLeadsParams>('messages.enqueueLeads', {
					...sourceOf(campaign.id),
					userId: campaign.userId,
					audience: { niche: campaign.niche, targetStatus: campaign.targetStatus },
					after,
					until,
					limit,
				});
				optedOut += page.optedOut;
				if (page.scanned < limit) return optedOut;
				after = page.last;
			}
		};
		const slices = await Promise.all(leadIdRanges(firingParallelism).map(fireSlice));
		if (slices.includes(false)) {
			// Cancelled while a page was being written: that page's messages missed the cancel.
			const status = (await databaseOf(this.broker).orm.em.fork().findOne(Campaign, { id: campaign.id }))?.status;
			if (status === 'cancelled') await this.stopMessages(campaign.id, 'cancelled: the campaign was cancelled');
			return;
		}
		const optedOut = (slices as number[]).reduce((a, b) => a + b, 0);
		const counts = await this.broker.call<Record<string, Counters>, SourceRef>('messages.counts', sourceOf(campaign.id));
		const shouldSend = Object.values(counts).reduce((n, c) => n + c.shouldSend, 0);
		if (!(await this.clock.fired(campaign.id, shouldSend, optedOut))) return;
		if (shouldSend === 0) {
			await this.clock.transition(campaign.id, ['running'], 'completed', optedOut ? 'Every matching lead has opted out.' : 'No lead matched the niche and target status.');
		}
		await this.settle(campaign.id, true);
	},

	/** Cancels what the campaign has not sent, and tells the sending nodes to forget its content (it now says stop). */
	async stopMessages(this: This, campaignId, reason) {
		await this.broker.call('messages.cancel', { ...sourceOf(campaignId), reason });
		this.broker.broadcast<MessageContentChanged>(MESSAGE_CONTENT_CHANGED, sourceOf(campaignId));
	},

	/**
	 * Pushes the counters to the owner; a fired campaign with nothing pending or sending ends, and
	 * an ended one whose outcome a late receipt changed is corrected.
	 * `changed`: the caller changed the campaign itself, so the whole record goes out too.
	 */
	async settle(this: This, campaignId, changed = false) {
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
};

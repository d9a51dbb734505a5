import { randomUUID } from 'node:crypto';
import type { Service } from 'moleculer';
import type { FleetServiceSchema } from '../../mixins/service-schema.ts';
import { databaseOf, sqlOf } from '../../mixins/orm.middleware.ts';
import type { CancelParams, Counters, EnqueueParams, SourceRef } from '../messages/messages.params.ts';
import { AiCampaign } from './ai-campaign.entity.ts';
import type * as P from './ai-campaigns.params.ts';
import { Distribution, stateOf, type CampaignDevice, type NewAssignment, type RunningCampaign } from './distribution.ts';

/** The rounds of running campaigns and their report (the service's methods that work the database). */
export interface RoundMethods {
	assign(campaignId: string): Promise<void>;
	enqueue(userId: string, campaignId: string, assignments: NewAssignment[]): Promise<void>;
	/** Empties a number's queue in a campaign: its leads go back to the pool for the others. */
	takeBack(campaignId: string, deviceId: string, reason: string): Promise<void>;
	report(campaignId: string): Promise<P.AiCampaignReport | undefined>;
}

export interface RoundLocals {
	/** Campaigns whose report changed since the last push. */
	dirty: Set<string>;
}

type This = Service & RoundMethods & RoundLocals & { announce(userId: string, campaign: AiCampaign): void };

/** The outbox's name for a campaign's messages. */
export const source = (campaignId: string): SourceRef => ({ source: 'ai', sourceId: campaignId });
const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/** Why a running campaign that assigned nothing this round ends, or waits; null: it goes on. */
function verdict(campaign: RunningCampaign, devices: CampaignDevice[], pending: number, everAssigned: boolean): { end: boolean; reason: string | null } {
	if (devices.some(d => d.assigned > 0)) return { end: false, reason: null };
	if (pending === 0) {
		if (everAssigned) return { end: true, reason: null };
		return { end: true, reason: campaign.niche ? `No AI lead in the pool matched niche "${campaign.niche}".` : 'No AI lead in the pool matched this campaign.' };
	}
	if (!devices.length) return { end: true, reason: `None of its numbers exist any more: ${plural(pending, 'lead')} stay pending in the pool.` };
	const states = devices.map(d => stateOf(d, campaign.device_limit));
	if (states.every(s => s === 'full' || s === 'failed') || states.some(s => s === 'active')) {
		// Full or failed everywhere, or the numbers with room already had every lead that is left.
		return { end: true, reason: `No number can take more: ${plural(pending, 'lead')} stay pending in the pool.` };
	}
	return { end: false, reason: `Waiting for a number to come online: ${plural(pending, 'lead')} wait.` };
}

export const roundMethods: FleetServiceSchema<Record<string, never>, RoundMethods, RoundLocals>['methods'] = {
		/** One round of a running campaign, on the node that holds its row; then its queue is filled and the late numbers emptied. */
		async assign(this: This, campaignId: string) {
			const round = await sqlOf(this.broker).transaction(async tx => {
				const distribution = new Distribution(tx);
				const campaign = await distribution.lock(campaignId);
				if (!campaign) return undefined;
				const devices = await distribution.devices(campaign);
				const assignments = await distribution.assignRound(campaign, devices, randomUUID);
				if (assignments.length) {
					await distribution.explain(campaign.id, null);
					return { campaign, devices, assignments, ended: false };
				}
				const pending = await distribution.pendingCount(campaign);
				const everAssigned = devices.some(d => d.taken > 0 || d.failed > 0);
				const { end, reason } = verdict(campaign, devices, pending, everAssigned);
				if (end) await distribution.finish(campaign.id, reason);
				const explained = !end && (await distribution.explain(campaign.id, reason));
				return { campaign, devices, assignments, ended: end || explained };
			});
			if (!round) return;
			const { campaign, devices, assignments } = round;
			if (assignments.length) {
				await this.enqueue(campaign.user_id, campaign.id, assignments);
				this.dirty.add(campaign.id);
			}
			// A number that went offline holds no leads: they go to the others.
			for (const d of devices) {
				if (d.assigned > 0 && !d.online && !d.failedAt) await this.takeBack(campaign.id, d.deviceId, 'cancelled: the number went offline; the lead went back to the pool');
			}
			if (round.ended) {
				const fresh = await databaseOf(this.broker).orm.em.fork().findOne(AiCampaign, { id: campaign.id });
				if (fresh) this.announce(campaign.user_id, fresh);
				this.dirty.add(campaign.id);
			}
		},

		async enqueue(this: This, userId: string, campaignId: string, assignments: NewAssignment[]) {
			await this.broker.call<unknown, EnqueueParams>('messages.enqueue', {
				userId,
				...source(campaignId),
				messages: assignments.map(a => ({ key: a.id, deviceId: a.deviceId, leadId: a.leadId, recipient: a.phone })),
			});
		},

		async takeBack(this: This, campaignId: string, deviceId: string, reason: string) {
			await this.broker.call<unknown, CancelParams>('messages.cancel', { ...source(campaignId), deviceId, reason });
			this.dirty.add(campaignId);
		},

		async report(this: This, campaignId: string): Promise<P.AiCampaignReport | undefined> {
			const sql = sqlOf(this.broker);
			const [campaign] = await sql.execute<(RunningCampaign & { status_reason: string | null })[]>(`select * from ai_campaigns where id = ?`, [campaignId]);
			if (!campaign) return undefined;
			const distribution = new Distribution(sql);
			const [devices, pending, counts, failedLeads] = await Promise.all([
				distribution.devices(campaign),
				// Whatever its status: what it left pending stays in the pool, counted, for the next campaign.
				distribution.pendingCount(campaign),
				this.broker.call<Record<string, Counters>, SourceRef>('messages.counts', source(campaignId)),
				sql.execute<{ n: number }[]>(`select count(*)::int as n from ai_assignments where campaign_id = ? and status = 'failed'`, [campaignId]),
			]);
			const sum = (pick: (d: CampaignDevice) => number) => devices.reduce((n, d) => n + pick(d), 0);
			const delivered = Object.values(counts).reduce((n, c) => n + c.delivered, 0);
			const read = Object.values(counts).reduce((n, c) => n + c.read, 0);
			const totals = { pending, assigned: sum(d => d.assigned), sent: sum(d => d.sent), delivered, read, failed: failedLeads[0]?.n ?? 0 };
			return {
				status: campaign.status,
				statusReason: campaign.status_reason,
				totals: { leads: totals.pending + totals.assigned + totals.sent + totals.failed, ...totals },
				devices: devices.map(d => ({
					deviceId: d.deviceId,
					name: d.name,
					assigned: d.assigned,
					sent: d.sent,
					delivered: counts[d.deviceId]?.delivered ?? 0,
					read: counts[d.deviceId]?.read ?? 0,
					failed: d.failed,
					consecutiveFailures: d.consecutiveFailures,
					state: stateOf(d, campaign.device_limit),
				})),
			};
		},

};

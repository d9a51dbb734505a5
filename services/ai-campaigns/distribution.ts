import type { SqlConnection } from '../../mixins/orm/database.ts';
import { NICHE_MATCH } from '../leads/audience.ts';
import type { AiCampaignStatus } from './ai-campaign.entity.ts';

/** Leads one number has in its queue at once: a number that goes away or fails holds no more than this. */
export const WINDOW = 2;
/** Send failures in a row caused by the number that make it fail for the rest of the campaign. */
export const FAILURES_TO_FAIL = 3;

export type DeviceState = 'active' | 'full' | 'failed' | 'offline';

/** A number taking part in a campaign, as the assignment sees it. */
export interface CampaignDevice {
	deviceId: string;
	name: string;
	online: boolean;
	/** Leads it took in this campaign and did not hand back (in its queue, sent, or failed for their own reason). */
	taken: number;
	/** In its queue now. */
	assigned: number;
	sent: number;
	/** Failed on it: for the lead's own reason, or handed back because of the number. */
	failed: number;
	consecutiveFailures: number;
	failedAt: Date | null;
}

export function stateOf(device: CampaignDevice, limit: number): DeviceState {
	if (device.failedAt) return 'failed';
	if (device.taken >= limit) return 'full';
	if (!device.online) return 'offline';
	return 'active';
}

export interface RunningCampaign {
	id: string;
	user_id: string;
	title: string;
	niche: string | null;
	target_status: string;
	device_limit: number;
	device_ids: string[] | null;
	status: AiCampaignStatus;
	fired_at: Date | null;
}

/** A lead given to a number: its message is to be queued under the assignment's id. */
export interface NewAssignment {
	id: string;
	leadId: string;
	deviceId: string;
	phone: string;
}

/** A message's outcome as the outbox announced it. */
export interface Outcome {
	assignmentId: string;
	status: 'sent' | 'failed' | 'cancelled';
	error: string | null;
}

/** What an outcome did: the campaign to announce, and a number that has just failed (its queue is to be emptied). */
export interface Applied {
	campaignId: string;
	failedDevice: string | null;
}

/**
 * Failures that are the lead's own, not the number's: no WhatsApp account, a send interrupted by a
 * node's death (it may have arrived: it is not given to another number), the lead opted out or gone.
 */
export const leadFailure = (error: string | null) => /^(not on WhatsApp|interrupted|cancelled: the lead)/.test(error ?? '');

const PENDING_MATCH = `l.user_id = ? and l.status = 'pending' and not l.opted_out
	and (?::text is null or ${NICHE_MATCH.replace('niches', 'l.niches')})
	and (?::text = 'all' or l.target_status = ?::text)
	and not exists (select 1 from leads o where o.user_id = l.user_id and o.phone = l.phone and o.opted_out)`;
const pendingParams = (c: RunningCampaign) => [c.user_id, c.niche, c.niche, c.target_status, c.target_status];

/** Every statement of AI campaigns on the database: firing, assignment in rounds, outcomes, counters. */
export class Distribution {
	constructor(private readonly db: SqlConnection) {}

	/** Scheduled campaigns that are due become running, each on one node only. */
	fireDue(): Promise<RunningCampaign[]> {
		return this.db.execute<RunningCampaign[]>(
			`update ai_campaigns set status = 'running', fired_at = now(), status_reason = null, updated_at = now()
			 where id in (select id from ai_campaigns where status = 'scheduled' and scheduled_at <= now() order by scheduled_at limit 20 for update skip locked)
			 returning *`,
		);
	}

	async runningIds(): Promise<string[]> {
		return (await this.db.execute<{ id: string }[]>(`select id from ai_campaigns where status = 'running' order by fired_at`)).map(r => r.id);
	}

	/** The running campaign, locked for this transaction; undefined when another node holds it or it is not running. */
	async lock(campaignId: string): Promise<RunningCampaign | undefined> {
		return (await this.db.execute<RunningCampaign[]>(`select * from ai_campaigns where id = ? and status = 'running' for update skip locked`, [campaignId]))[0];
	}

	/** The numbers of a campaign (the ones it names, or all of the user's), in a stable order, with their counters in it. */
	devices(campaign: { id: string; user_id: string; device_ids: string[] | null }): Promise<CampaignDevice[]> {
		return this.db.execute<CampaignDevice[]>(
			`select d.id as "deviceId", d.name, d.status = 'online' as online,
			   count(a.id) filter (where a.status in ('assigned', 'sent', 'failed'))::int as taken,
			   count(a.id) filter (where a.status = 'assigned')::int as assigned,
			   count(a.id) filter (where a.status = 'sent')::int as sent,
			   count(a.id) filter (where a.status = 'failed' or (a.status = 'returned' and a.error not like 'cancelled%'))::int as failed,
			   coalesce(max(cd.consecutive_failures), 0)::int as "consecutiveFailures", max(cd.failed_at) as "failedAt"
			 from devices d
			 left join ai_assignments a on a.campaign_id = ? and a.device_id = d.id
			 left join ai_campaign_devices cd on cd.campaign_id = ? and cd.device_id = d.id
			 where d.user_id = ? and (?::text[] is null or d.id::text = any(?::text[]))
			 group by d.id order by d.name, d.id`,
			[campaign.id, campaign.id, campaign.user_id, campaign.device_ids, campaign.device_ids],
		);
	}

	/** The pool's leads the campaign may still take. */
	async pendingCount(campaign: RunningCampaign): Promise<number> {
		const [row] = await this.db.execute<{ n: number }[]>(`select count(*)::int as n from ai_leads l where ${PENDING_MATCH}`, pendingParams(campaign));
		return row?.n ?? 0;
	}

	/**
	 * One round: each number that is online, not failed, under the limit and with room in its
	 * window gets the next pending leads in turn (the least-loaded first), never a lead it already
	 * had in this campaign. The leads are marked assigned; their messages are queued by the caller.
	 */
	async assignRound(campaign: RunningCampaign, devices: CampaignDevice[], newId: () => string): Promise<NewAssignment[]> {
		const slots = new Map<string, number>();
		for (const d of devices) {
			if (stateOf(d, campaign.device_limit) !== 'active') continue;
			const room = Math.min(WINDOW - d.assigned, campaign.device_limit - d.taken);
			if (room > 0) slots.set(d.deviceId, room);
		}
		const total = [...slots.values()].reduce((a, b) => a + b, 0);
		if (!total) return [];
		const leads = await this.db.execute<{ id: string; phone: string; had: string[] }[]>(
			`select l.id, l.phone, array(select a.device_id::text from ai_assignments a where a.campaign_id = ? and a.lead_id = l.id) as had
			 from ai_leads l where ${PENDING_MATCH}
			 order by l.created_at, l.id limit ? for update of l skip locked`,
			[campaign.id, ...pendingParams(campaign), total * 3],
		);
		// Least-loaded numbers first, so the spread stays even round after round.
		const order = devices.filter(d => slots.has(d.deviceId)).sort((a, b) => a.taken - b.taken);
		const assignments: NewAssignment[] = [];
		let turn = 0;
		for (const lead of leads) {
			if (![...slots.values()].some(n => n > 0)) break;
			for (let tries = 0; tries < order.length; tries++) {
				const device = order[(turn + tries) % order.length]!;
				if ((slots.get(device.deviceId) ?? 0) <= 0 || lead.had.includes(device.deviceId)) continue;
				slots.set(device.deviceId, slots.get(device.deviceId)! - 1);
				assignments.push({ id: newId(), leadId: lead.id, deviceId: device.deviceId, phone: lead.phone });
				turn = (turn + tries + 1) % order.length;
				break;
			}
		}
		if (!assignments.length) return [];
		const json = JSON.stringify(assignments.map(a => ({ id: a.id, lead_id: a.leadId, device_id: a.deviceId })));
		await this.db.execute(
			`insert into ai_assignments (id, campaign_id, lead_id, device_id, status, created_at, updated_at)
			 select r.id, ?, r.lead_id, r.device_id, 'assigned', now(), now() from jsonb_to_recordset(?::jsonb) as r(id uuid, lead_id uuid, device_id uuid)`,
			[campaign.id, json],
		);
		await this.db.execute(
			`update ai_leads l set status = 'assigned', device_id = r.device_id, campaign_id = ?, error = null, updated_at = now()
			 from jsonb_to_recordset(?::jsonb) as r(id uuid, lead_id uuid, device_id uuid) where l.id = r.lead_id`,
			[campaign.id, json],
		);
		return assignments;
	}

	/** Ends a running campaign with its reason (null: every lead is done). */
	async finish(campaignId: string, reason: string | null): Promise<void> {
		await this.db.execute(`update ai_campaigns set status = 'completed', status_reason = ?, finished_at = now(), updated_at = now() where id = ? and status = 'running'`, [reason, campaignId]);
	}

	/** Says why a running campaign waits (null: it does not). */
	async explain(campaignId: string, reason: string | null): Promise<boolean> {
		const rows = await this.db.execute<{ id: string }[]>(
			`update ai_campaigns set status_reason = ?, updated_at = now() where id = ? and status = 'running' and status_reason is distinct from ? returning id`,
			[reason, campaignId, reason],
		);
		return rows.length > 0;
	}

	/**
	 * Applies one message's outcome to its assignment (once: only while it is `assigned`). Sent: the
	 * lead is sent and the number's run of failures ends. A failure of the lead's own: the lead
	 * fails. Anything else the number caused (or a number that went away): the lead goes back to the
	 * pool, and a failure adds to the number's run, which fails it at FAILURES_TO_FAIL.
	 */
	async apply(outcome: Outcome): Promise<Applied | undefined> {
		const error = outcome.error ?? (outcome.status === 'cancelled' ? 'cancelled' : null);
		const ownFailure = outcome.status !== 'sent' && leadFailure(error);
		const status = outcome.status === 'sent' ? 'sent' : ownFailure ? 'failed' : 'returned';
		const [row] = await this.db.execute<{ campaign_id: string; lead_id: string; device_id: string }[]>(
			`update ai_assignments set status = ?, error = ?, updated_at = now() where id = ? and status = 'assigned' returning campaign_id, lead_id, device_id`,
			[status, status === 'sent' ? null : error, outcome.assignmentId],
		);
		if (!row) return undefined;
		if (status === 'sent') {
			await this.db.execute(`update ai_leads set status = 'sent', sent_at = now(), error = null, updated_at = now() where id = ?`, [row.lead_id]);
		} else if (status === 'failed') {
			await this.db.execute(`update ai_leads set status = 'failed', error = ?, updated_at = now() where id = ?`, [error, row.lead_id]);
		} else {
			await this.db.execute(`update ai_leads set status = 'pending', device_id = null, error = ?, updated_at = now() where id = ? and status = 'assigned'`, [error, row.lead_id]);
		}
		let failedDevice: string | null = null;
		if (outcome.status === 'sent' || (outcome.status === 'failed' && !ownFailure)) {
			const [device] = await this.db.execute<{ failed: boolean }[]>(
				`insert into ai_campaign_devices (campaign_id, device_id, consecutive_failures, last_error) values (?, ?, ?, ?)
				 on conflict (campaign_id, device_id) do update set
				   consecutive_failures = case when excluded.consecutive_failures = 0 then 0 else ai_campaign_devices.consecutive_failures + 1 end,
				   last_error = coalesce(excluded.last_error, ai_campaign_devices.last_error)
				 returning (failed_at is null and consecutive_failures >= ?) as failed`,
				[row.campaign_id, row.device_id, outcome.status === 'sent' ? 0 : 1, outcome.status === 'sent' ? null : error, FAILURES_TO_FAIL],
			);
			if (device?.failed) {
				await this.db.execute(`update ai_campaign_devices set failed_at = now() where campaign_id = ? and device_id = ?`, [row.campaign_id, row.device_id]);
				failedDevice = row.device_id;
			}
		}
		return { campaignId: row.campaign_id, failedDevice };
	}

	/** Assignments whose message was never queued (the node died in between), or whose outcome was never applied. */
	orphaned(olderThanSeconds: number): Promise<(NewAssignment & { campaignId: string; userId: string })[]> {
		return this.db.execute(
			`select a.id, a.lead_id as "leadId", a.device_id as "deviceId", l.phone, a.campaign_id as "campaignId", c.user_id as "userId"
			 from ai_assignments a join ai_leads l on l.id = a.lead_id join ai_campaigns c on c.id = a.campaign_id
			 where a.status = 'assigned' and a.updated_at < now() - make_interval(secs => ?)
			   and not exists (select 1 from messages m where m.source = 'ai' and m.source_id = a.campaign_id and m.source_key = a.id::text)
			 limit 500`,
			[olderThanSeconds],
		);
	}

	unsettled(olderThanSeconds: number): Promise<Outcome[]> {
		return this.db.execute<Outcome[]>(
			`select a.id as "assignmentId", case when m.status in ('sent', 'delivered', 'read') then 'sent' else m.status end as status, m.error
			 from ai_assignments a join messages m on m.source = 'ai' and m.source_id = a.campaign_id and m.source_key = a.id::text
			 where a.status = 'assigned' and a.updated_at < now() - make_interval(secs => ?) and m.status in ('sent', 'delivered', 'read', 'failed', 'cancelled')
			 limit 500`,
			[olderThanSeconds],
		);
	}
}

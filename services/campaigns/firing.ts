import type { SqlConnection } from '../../mixins/orm/database.ts';
import type { CampaignStatus } from './campaign.entity.ts';

/** What firing needs of a claimed campaign: whose it is and whom it reaches. */
export interface FiringCampaign {
	id: string;
	userId: string;
	niche: string | null;
	targetStatus: 'all' | 'prospect' | 'customer';
}

const RETURNING = `returning id, user_id, niche, target_status`;

function toFiring(row: Record<string, unknown>): FiringCampaign {
	return {
		id: row.id as string,
		userId: row.user_id as string,
		niche: (row.niche as string | null) ?? null,
		targetStatus: row.target_status as FiringCampaign['targetStatus'],
	};
}

/**
 * The campaign state changes that must happen once across the cluster, each one atomic
 * statement: every node runs the same loop, and the database decides which one wins.
 */
export class CampaignClock {
	constructor(
		private readonly db: SqlConnection,
		private readonly nodeId: string,
	) {}

	/** `scheduled → running` for due campaigns; a campaign is returned to exactly one caller. */
	async claimDue(limit: number): Promise<FiringCampaign[]> {
		const rows = await this.db.execute<Record<string, unknown>[]>(
			`update campaigns set status = 'running', fired_at = now(), firing_node = ?, firing_beat_at = now(), updated_at = now()
			 where id in (select id from campaigns where status = 'scheduled' and scheduled_at <= now() order by scheduled_at limit ? for update skip locked)
			 ${RETURNING}`,
			[this.nodeId, limit],
		);
		return rows.map(toFiring);
	}

	/** Firings whose node stopped beating: taken over and run again (creating only the messages still missing). */
	async claimAbandoned(staleMs: number, limit: number): Promise<FiringCampaign[]> {
		const rows = await this.db.execute<Record<string, unknown>[]>(
			`update campaigns set firing_node = ?, firing_beat_at = now(), updated_at = now()
			 where id in (select id from campaigns where status = 'running' and not firing_done
			   and firing_beat_at < now() - ?::float8 * interval '1 millisecond' limit ? for update skip locked)
			 ${RETURNING}`,
			[this.nodeId, staleMs, limit],
		);
		return rows.map(toFiring);
	}

	/** Still firing; false when the campaign was cancelled or taken over meanwhile. */
	async beat(id: string): Promise<boolean> {
		const rows = await this.db.execute<unknown[]>(
			`update campaigns set firing_beat_at = now() where id = ? and status = 'running' and firing_node = ? returning id`,
			[id, this.nodeId],
		);
		return rows.length > 0;
	}

	/** This node could not finish firing: any node's next tick takes it over at once, not after the stale time. */
	async release(id: string): Promise<void> {
		await this.db.execute(`update campaigns set firing_beat_at = 'epoch' where id = ? and status = 'running' and not firing_done and firing_node = ?`, [id, this.nodeId]);
	}

	/** Every message exists: freeze should-send. */
	async fired(id: string, shouldSend: number, skippedOptedOut: number): Promise<boolean> {
		const rows = await this.db.execute<unknown[]>(
			`update campaigns set firing_done = true, should_send = ?, skipped_opted_out = ?, updated_at = now()
			 where id = ? and status = 'running' and firing_node = ? returning id`,
			[shouldSend, skippedOptedOut, id, this.nodeId],
		);
		return rows.length > 0;
	}

	/**
	 * Moves a campaign from one of `from` to a final (or running again) status; false if it was not in `from`.
	 * A campaign that ended keeps its end time when its outcome is corrected later.
	 */
	async transition(id: string, from: CampaignStatus[], to: CampaignStatus, reason: string | null): Promise<boolean> {
		const final = to !== 'running' && to !== 'scheduled' && to !== 'draft';
		const rows = await this.db.execute<unknown[]>(
			`update campaigns set status = ?, status_reason = ?, finished_at = ${final ? 'coalesce(finished_at, now())' : 'null'}, updated_at = now()
			 where id = ? and status in (select jsonb_array_elements_text(?::jsonb)) returning id`,
			[to, reason, id, JSON.stringify(from)],
		);
		return rows.length > 0;
	}

	/** Running campaigns whose messages all exist: their completion is judged from the counters. */
	async runningFired(limit: number): Promise<string[]> {
		const rows = await this.db.execute<{ id: string }[]>(`select id from campaigns where status = 'running' and firing_done limit ?`, [limit]);
		return rows.map(r => r.id);
	}
}

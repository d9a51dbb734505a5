/**
 * Every statement on enrolments. Each is one atomic statement (or a claim with SKIP LOCKED), so
 * any number of nodes may tick at once: a lead enrols once per sequence (unique), a due step is
 * claimed by one node, and the outbox keys its message by (step, enrolment).
 */
import type { SqlConnection } from '../../mixins/orm/database.ts';
import { retryableFailure } from '../messages/outbox.ts';

/** A step claimed for sending: the message to enqueue. */
export interface ClaimedStep {
	enrolmentId: string;
	userId: string;
	sequenceId: string;
	stepId: string;
	leadId: string;
	deviceId: string;
	phone: string;
}

/** A step's message went out: where the enrolment stands now. */
export interface Advanced {
	enrolmentId: string;
	userId: string;
	sequenceId: string;
	leadId: string;
	status: 'active' | 'completed';
}

const CLAIMED = `e.id as "enrolmentId", e.user_id as "userId", e.sequence_id as "sequenceId", e.step_id as "stepId", e.lead_id as "leadId", e.device_id as "deviceId", l.phone`;

export class Enrolments {
	constructor(private readonly db: SqlConnection) {}

	/**
	 * Enrols the leads that carry an entry trigger of an active sequence of their own user (an exact
	 * match), once per sequence, at the first entry step they carry. Opted-out leads never enrol.
	 * With `since`, only leads changed since then and sequences changed since then are looked at
	 * (what a tick needs; its cost then follows the changes, not the number of enrolments).
	 */
	async enrol(since: Date | null): Promise<number> {
		const scopes = since
			? [`l.updated_at >= ?::timestamptz`, `s.updated_at >= ?::timestamptz`].map(where => ({ where, params: [since] }))
			: [{ where: 'true', params: [] as unknown[] }];
		let enrolled = 0;
		for (const scope of scopes) {
			const rows = await this.db.execute<{ n: number }[]>(
				`with candidates as (
				   select distinct on (s.id, l.id) s.user_id, s.id as sequence_id, l.id as lead_id, l.device_id, st.position, st.delay_seconds, st.trigger
				   from sequences s
				   join sequence_steps st on st.sequence_id = s.id and (st.entry or st.position = 1)
				   join leads l on l.user_id = s.user_id and l.triggers @> array[st.trigger]::text[] and not l.opted_out
				   where s.status = 'active' and ${scope.where}
				     and not exists (select 1 from sequence_enrolments e where e.sequence_id = s.id and e.lead_id = l.id)
				   order by s.id, l.id, st.position),
				 inserted as (
				   insert into sequence_enrolments (id, user_id, sequence_id, lead_id, device_id, position, status, next_at, trigger, created_at, updated_at)
				   select gen_random_uuid(), user_id, sequence_id, lead_id, device_id, position, 'active', now() + make_interval(secs => delay_seconds), trigger, now(), now()
				   from candidates
				   on conflict (sequence_id, lead_id) do nothing
				   returning 1)
				 select count(*)::int as n from inserted`,
				scope.params,
			);
			enrolled += rows[0]?.n ?? 0;
		}
		return enrolled;
	}

	/** Leads opted out (since `since`, or ever) leave every sequence they are in. Answers the sequences touched. */
	async leaveOptedOut(since: Date | null): Promise<string[]> {
		const rows = await this.db.execute<{ sequence_id: string }[]>(
			`update sequence_enrolments e set status = 'stopped', error = 'the lead opted out', finished_at = now(), updated_at = now()
			 from leads l where l.id = e.lead_id and l.opted_out and (?::timestamptz is null or l.updated_at >= ?::timestamptz) and e.status in ('active', 'waiting')
			 returning e.sequence_id`,
			[since, since],
		);
		return [...new Set(rows.map(r => r.sequence_id))];
	}

	/**
	 * A sequence's enrolments past its last step (steps were removed) complete. Answers them, for
	 * their triggers and chains.
	 */
	async completePastLast(sequenceId: string): Promise<Advanced[]> {
		return this.db.execute<Advanced[]>(
			`update sequence_enrolments e set status = 'completed', finished_at = now(), updated_at = now()
			 where e.sequence_id = ? and e.status = 'active' and not exists (select 1 from sequence_steps st where st.sequence_id = e.sequence_id and st.position >= e.position)
			 returning e.id as "enrolmentId", e.user_id as "userId", e.sequence_id as "sequenceId", e.lead_id as "leadId", 'completed' as status`,
			[sequenceId],
		);
	}

	/**
	 * Failed enrolments whose step message `messages.retryFailed` will queue again wait on it again,
	 * before it is queued (a message sent at once settles an enrolment that waits for it); the others
	 * (a number not on WhatsApp fails again whatever is tried) stay failed. Answers the steps to retry
	 * and how many enrolments went back.
	 */
	async retrying(sequenceId: string): Promise<{ stepIds: string[]; count: number }> {
		const rows = await this.db.execute<{ step_id: string }[]>(
			`update sequence_enrolments e set status = 'waiting', step_id = st.id, error = null, finished_at = null, updated_at = now()
			 from sequence_steps st, messages m
			 where e.sequence_id = ? and e.status = 'failed' and st.sequence_id = e.sequence_id and st.position = e.position
			   and m.source = 'sequence' and m.source_id = st.id and m.source_key = e.id::text and m.status = 'failed' and ${retryableFailure('m.error')}
			 returning e.step_id`,
			[sequenceId],
		);
		return { stepIds: [...new Set(rows.map(r => r.step_id))], count: rows.length };
	}

	/** The database's clock, which the watermarks of `enrol` and `leaveOptedOut` are read against. */
	async now(): Promise<Date> {
		const [row] = await this.db.execute<{ now: Date }[]>(`select now() as now`);
		return new Date(row!.now);
	}

	/**
	 * Claims up to `limit` due steps of active sequences whose number is online: each becomes
	 * `waiting` on its step. A number offline holds its enrolments where they are.
	 */
	async claimDue(limit: number): Promise<ClaimedStep[]> {
		return this.db.execute<ClaimedStep[]>(
			`with due as (
			   select e.id, st.id as step_id from sequence_enrolments e
			   join sequences s on s.id = e.sequence_id and s.status = 'active'
			   join sequence_steps st on st.sequence_id = e.sequence_id and st.position = e.position
			   join devices d on d.id = e.device_id and d.status = 'online'
			   where e.status = 'active' and e.next_at <= now()
			   order by e.next_at limit ? for update of e skip locked)
			 update sequence_enrolments e set status = 'waiting', step_id = due.step_id, updated_at = now()
			 from due, leads l where e.id = due.id and l.id = e.lead_id
			 returning ${CLAIMED}`,
			[limit],
		);
	}

	/** Claimed steps whose message could not be queued go back to wait for the next tick. */
	async unclaim(enrolmentIds: string[]): Promise<void> {
		if (!enrolmentIds.length) return;
		await this.db.execute(
			`update sequence_enrolments set status = 'active', updated_at = now() where status = 'waiting' and id in (select jsonb_array_elements_text(?::jsonb)::uuid)`,
			[JSON.stringify(enrolmentIds)],
		);
	}

	/**
	 * Steps claimed by a node that died before it queued their message: waiting for a while with no
	 * message in the outbox. Their message is queued again (the outbox keeps it once).
	 */
	async orphaned(olderThanSeconds: number, limit: number): Promise<ClaimedStep[]> {
		return this.db.execute<ClaimedStep[]>(
			`select ${CLAIMED} from sequence_enrolments e join leads l on l.id = e.lead_id
			 where e.status = 'waiting' and e.updated_at < now() - make_interval(secs => ?)
			   and not exists (select 1 from messages m where m.source = 'sequence' and m.source_id = e.step_id and m.source_key = e.id::text)
			 limit ?`,
			[olderThanSeconds, limit],
		);
	}

	/**
	 * Outcomes of step messages: sent moves each enrolment to its next step (due after that step's
	 * delay) or completes it; failed stops it there with the reason; cancelled (the sequence was
	 * paused, or the step deleted) puts it back to wait. Only an enrolment waiting on that very step moves.
	 */
	async settled(outcomes: { enrolmentId: string; stepId: string; status: 'sent' | 'failed' | 'cancelled'; error: string | null }[]): Promise<Advanced[]> {
		if (!outcomes.length) return [];
		const json = JSON.stringify(outcomes.map(o => ({ enrolment_id: o.enrolmentId, step_id: o.stepId, status: o.status, error: o.error?.slice(0, 500) ?? null })));
		const [advanced, _failed] = await Promise.all([
			this.db.execute<Advanced[]>(
				`with o as (select * from jsonb_to_recordset(?::jsonb) as o(enrolment_id uuid, step_id uuid, status text, error text) where status = 'sent'),
				 moved as (
				   select e.id, nxt.position as next_position, nxt.delay_seconds from sequence_enrolments e
				   join o on o.enrolment_id = e.id and o.step_id = e.step_id
				   left join lateral (select position, delay_seconds from sequence_steps st where st.sequence_id = e.sequence_id and st.position > e.position order by position limit 1) nxt on true
				   where e.status = 'waiting')
				 update sequence_enrolments e set
				   status = case when moved.next_position is null then 'completed' else 'active' end,
				   position = coalesce(moved.next_position, e.position),
				   next_at = now() + make_interval(secs => coalesce(moved.delay_seconds, 0)),
				   step_id = null, last_sent_at = now(), updated_at = now(),
				   finished_at = case when moved.next_position is null then now() end
				 from moved where e.id = moved.id
				 returning e.id as "enrolmentId", e.user_id as "userId", e.sequence_id as "sequenceId", e.lead_id as "leadId", e.status`,
				[json],
			),
			this.db.execute(
				`update sequence_enrolments e set
				   status = case when o.status = 'failed' then 'failed' else 'active' end,
				   error = case when o.status = 'failed' then o.error end,
				   finished_at = case when o.status = 'failed' then now() end,
				   next_at = case when o.status = 'failed' then e.next_at else now() end,
				   step_id = null, updated_at = now()
				 from jsonb_to_recordset(?::jsonb) as o(enrolment_id uuid, step_id uuid, status text, error text)
				 where o.status in ('failed', 'cancelled') and e.id = o.enrolment_id and e.step_id = o.step_id and e.status = 'waiting'`,
				[json],
			),
		]);
		return advanced;
	}

	/** The lead wrote to its number: it leaves the sequences that stop on a reply. Answers the sequences touched. */
	async stopOnReply(deviceId: string, phone: string): Promise<string[]> {
		const rows = await this.db.execute<{ sequence_id: string }[]>(
			`update sequence_enrolments e set status = 'stopped', error = 'the lead replied', finished_at = now(), step_id = null, updated_at = now()
			 from leads l, sequences s
			 where l.device_id = ? and l.phone = ? and e.lead_id = l.id and s.id = e.sequence_id and s.stop_on_reply and e.status in ('active', 'waiting')
			 returning e.sequence_id`,
			[deviceId, phone],
		);
		return [...new Set(rows.map(r => r.sequence_id))];
	}

	/**
	 * Waiting enrolments whose step message ended a while ago without its outcome reaching them (the
	 * node announcing it died): their outcome, read from the outbox, to apply as `settled` does.
	 */
	async unsettled(olderThanSeconds: number, limit: number): Promise<{ enrolmentId: string; stepId: string; status: 'sent' | 'failed' | 'cancelled'; error: string | null }[]> {
		return this.db.execute(
			`select e.id as "enrolmentId", e.step_id as "stepId", case when m.status in ('sent', 'delivered', 'read') then 'sent' else m.status end as status, m.error
			 from sequence_enrolments e
			 join messages m on m.source = 'sequence' and m.source_id = e.step_id and m.source_key = e.id::text
			 where e.status = 'waiting' and e.updated_at < now() - make_interval(secs => ?) and m.status in ('sent', 'delivered', 'read', 'failed', 'cancelled')
			 limit ?`,
			[olderThanSeconds, limit],
		);
	}

	/** Counts by status, and how many steps were sent of all the steps the enrolments will send. */
	async counts(sequenceId: string, steps: number): Promise<{ byStatus: Record<string, number>; progress: number }> {
		const rows = await this.db.execute<{ status: string; n: number; done: number }[]>(
			`select status, count(*)::int as n,
			   sum(case when status = 'completed' then ? else greatest(position - 1, 0) end)::int as done
			 from sequence_enrolments where sequence_id = ? group by status`,
			[steps, sequenceId],
		);
		const byStatus: Record<string, number> = {};
		let total = 0;
		let done = 0;
		for (const r of rows) {
			byStatus[r.status] = r.n;
			total += r.n;
			done += Number(r.done);
		}
		return { byStatus, progress: total && steps ? Math.min(100, Math.round((done / (total * steps)) * 100)) : 0 };
	}
}

import type { SqlConnection } from '../../mixins/orm/database.ts';
import { NICHE_MATCH } from '../leads/audience.ts';
import type { LeadWriter } from '../leads/lead-import.ts';
import { storedFields, type LeadValues } from '../leads/lead-input.ts';
import type { LeadRow } from '../leads/lead-store.ts';
import { containsPattern } from '../shared/like.ts';
import type { AiLeadDto, AiLeadFilters } from './ai-leads.params.ts';

/** An ai_leads row as SQL returns it. */
export interface AiLeadRow {
	id: string;
	user_id: string;
	name: string;
	phone: string;
	niches: string[];
	target_status: AiLeadDto['targetStatus'];
	notes: string | null;
	opted_out: boolean;
	status: AiLeadDto['status'];
	device_id: string | null;
	campaign_id: string | null;
	error: string | null;
	sent_at: Date | null;
	created_at: Date;
	updated_at: Date;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function toAiLeadDto(row: AiLeadRow): AiLeadDto {
	return {
		id: row.id,
		name: row.name,
		phone: row.phone,
		niches: row.niches,
		targetStatus: row.target_status,
		notes: row.notes,
		optedOut: row.opted_out,
		status: row.status,
		deviceId: row.device_id,
		campaignId: row.campaign_id,
		error: row.error,
		sentAt: iso(row.sent_at),
		createdAt: iso(row.created_at)!,
		updatedAt: iso(row.updated_at)!,
	};
}

/** The record type jsonb_to_recordset reads a batch of lead values as (the device is not used: the pool has none). */
const BATCH_RECORD = 'r(phone text, name text, niches text[], "targetStatus" text, notes text)';
const batchJson = (rows: LeadValues[]) => JSON.stringify(rows.map(storedFields));

/** A pool row in the shape the lead import merges (no device). */
const AS_LEAD_ROW = `id, user_id, '' as device_id, name, phone, niches, target_status, '{}'::text[] as triggers, notes, opted_out, null as opted_out_at, created_at, updated_at`;

function whereOf(userId: string, filters: AiLeadFilters): { sql: string; params: unknown[] } {
	const parts = ['user_id = ?'];
	const params: unknown[] = [userId];
	if (filters.niche) (parts.push(NICHE_MATCH), params.push(filters.niche));
	if (filters.targetStatus) (parts.push('target_status = ?'), params.push(filters.targetStatus));
	if (filters.status) (parts.push('status = ?'), params.push(filters.status));
	if (filters.optedOut !== undefined) (parts.push('opted_out = ?'), params.push(filters.optedOut));
	if (filters.q) {
		const digits = /^[\d\s()+-]+$/.test(filters.q) ? filters.q.replace(/\D/g, '') : '';
		if (digits) (parts.push('(name ilike ? or phone like ?)'), params.push(containsPattern(filters.q), `%${digits}%`));
		else (parts.push('name ilike ?'), params.push(containsPattern(filters.q)));
	}
	return { sql: parts.join(' and '), params };
}

/** The AI lead pool in bulk, every statement scoped to one user; one lead per (user, phone). */
export class AiLeadStore implements LeadWriter {
	constructor(private readonly db: SqlConnection) {}

	async page(userId: string, filters: AiLeadFilters, limit: number, offset: number): Promise<{ rows: AiLeadRow[]; total: number }> {
		const where = whereOf(userId, filters);
		const [rows, count] = await Promise.all([
			this.db.execute<AiLeadRow[]>(`select * from ai_leads where ${where.sql} order by created_at desc, id desc limit ? offset ?`, [...where.params, limit, offset]),
			this.db.execute<{ n: number }[]>(`select count(*)::int as n from ai_leads where ${where.sql}`, where.params),
		]);
		return { rows, total: count[0]?.n ?? 0 };
	}

	all(userId: string, filters: AiLeadFilters): Promise<AiLeadRow[]> {
		const where = whereOf(userId, filters);
		return this.db.execute<AiLeadRow[]>(`select * from ai_leads where ${where.sql} order by created_at, id`, where.params);
	}

	async one(userId: string, id: string): Promise<AiLeadRow | undefined> {
		return (await this.db.execute<AiLeadRow[]>(`select * from ai_leads where user_id = ? and id = ?`, [userId, id]))[0];
	}

	existing(userId: string, keys: LeadValues[]): Promise<LeadRow[]> {
		return this.db.execute<LeadRow[]>(
			`select ${AS_LEAD_ROW} from ai_leads where user_id = ? and phone in (select r.phone from jsonb_to_recordset(?::jsonb) as ${BATCH_RECORD})`,
			[userId, batchJson(keys)],
		);
	}

	upsert(userId: string, rows: LeadValues[]): Promise<{ id: string; device_id: string; phone: string; created: boolean }[]> {
		return this.db.execute(
			`insert into ai_leads (id, user_id, phone, name, niches, target_status, notes, created_at, updated_at)
			 select gen_random_uuid(), ?::uuid, r.phone, r.name, r.niches, r."targetStatus", r.notes, now(), now()
			 from jsonb_to_recordset(?::jsonb) as ${BATCH_RECORD}
			 on conflict (user_id, phone) do update set
			   name = excluded.name, niches = excluded.niches, target_status = excluded.target_status, notes = excluded.notes, updated_at = excluded.updated_at
			 returning id, '' as device_id, phone, (xmax = 0) as created`,
			[userId, batchJson(rows)],
		);
	}

	/** Writes one lead's fields; answers null when another of the user's pool leads has that phone. */
	async save(userId: string, id: string | null, values: LeadValues, change: { optedOut?: boolean; backToPool?: boolean } = {}): Promise<AiLeadRow | null> {
		const f = storedFields(values);
		const rows = await this.db.execute<AiLeadRow[]>(
			id
				? `update ai_leads set phone = ?, name = ?, niches = ?, target_status = ?, notes = ?,
				     opted_out = coalesce(?::boolean, opted_out),
				     status = case when ?::boolean and status in ('sent', 'failed') then 'pending' else status end,
				     error = case when ?::boolean and status in ('sent', 'failed') then null else error end,
				     updated_at = now()
				   where user_id = ? and id = ? and not exists (select 1 from ai_leads o where o.user_id = ? and o.phone = ? and o.id <> ?)
				   returning *`
				: `insert into ai_leads (id, user_id, phone, name, niches, target_status, notes, created_at, updated_at)
				   values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, now(), now()) on conflict (user_id, phone) do nothing returning *`,
			id
				? [f.phone, f.name, f.niches, f.targetStatus, f.notes, change.optedOut ?? null, Boolean(change.backToPool), Boolean(change.backToPool), userId, id, userId, f.phone, id]
				: [userId, f.phone, f.name, f.niches, f.targetStatus, f.notes],
		);
		return rows[0] ?? null;
	}

	async remove(userId: string, id: string): Promise<boolean> {
		return (await this.db.execute<{ id: string }[]>(`delete from ai_leads where user_id = ? and id = ? returning id`, [userId, id])).length > 0;
	}

	/** A contact wrote a stop word to one of the user's numbers: that phone is never assigned again. */
	async optOut(userId: string, phone: string): Promise<AiLeadRow[]> {
		return this.db.execute<AiLeadRow[]>(`update ai_leads set opted_out = true, updated_at = now() where user_id = ? and phone = ? and not opted_out returning *`, [userId, phone]);
	}
}

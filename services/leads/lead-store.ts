import type { SqlConnection } from '../../mixins/orm/database.ts';
import type { TargetStatus } from './lead.entity.ts';
import { storedFields, type LeadValues } from './lead-input.ts';
import { NICHE_MATCH } from './audience.ts';
import type { LeadFilters, LeadMessageFields } from './leads.params.ts';
import { containsPattern } from '../shared/like.ts';

/** A leads row as SQL returns it. */
export interface LeadRow {
	id: string;
	user_id: string;
	device_id: string;
	name: string;
	phone: string;
	niches: string[];
	target_status: TargetStatus;
	triggers: string[];
	notes: string | null;
	opted_out: boolean;
	opted_out_at: Date | null;
	created_at: Date;
	updated_at: Date;
}

export function toLeadValues(row: LeadRow): LeadValues {
	return {
		deviceId: row.device_id,
		phone: row.phone,
		name: row.name,
		niches: row.niches,
		targetStatus: row.target_status,
		triggers: row.triggers,
		notes: row.notes,
	};
}

/** `%`, `_` and `\` taken literally in a LIKE pattern. */
/** Conditions joined with AND, and their parameters in order. */
class Where {
	private readonly parts: string[] = [];
	readonly params: unknown[] = [];

	add(sql: string, ...params: unknown[]): this {
		this.parts.push(sql);
		this.params.push(...params);
		return this;
	}

	get sql(): string {
		return this.parts.join(' and ');
	}
}

/** The list and export filters, always within one tenant. */
function whereOf(userId: string, filters: LeadFilters): Where {
	const where = new Where().add('user_id = ?', userId);
	if (filters.device) where.add('device_id = ?', filters.device);
	if (filters.niche) where.add(NICHE_MATCH, filters.niche);
	if (filters.targetStatus) where.add('target_status = ?', filters.targetStatus);
	if (filters.optedOut !== undefined) where.add('opted_out = ?', filters.optedOut);
	if (filters.q) {
		const pattern = containsPattern(filters.q);
		// Something that looks like (part of) a number is looked for in phones too, by its digits.
		const digits = /^[\d\s()+-]+$/.test(filters.q) ? filters.q.replace(/\D/g, '') : '';
		if (digits) where.add('(name ilike ? or phone like ?)', pattern, `%${digits}%`);
		else where.add('name ilike ?', pattern);
	}
	return where;
}

/** The record type jsonb_to_recordset reads a batch of lead values as. */
const BATCH_RECORD = 'r(device uuid, phone text, name text, niches text[], "targetStatus" text, triggers text[], notes text)';

function batchJson(rows: LeadValues[]): string {
	return JSON.stringify(rows.map(storedFields));
}

/** The leads table in bulk: one statement per batch or page, every statement scoped to one user. */
export class LeadStore {
	constructor(private readonly db: SqlConnection) {}

	async page(userId: string, filters: LeadFilters, limit: number, offset: number): Promise<{ rows: LeadRow[]; total: number }> {
		const where = whereOf(userId, filters);
		const [rows, count] = await Promise.all([
			this.db.execute<LeadRow[]>(`select * from leads where ${where.sql} order by created_at desc, id desc limit ? offset ?`, [...where.params, limit, offset]),
			this.db.execute<{ n: number }[]>(`select count(*)::int as n from leads where ${where.sql}`, where.params),
		]);
		return { rows, total: count[0]?.n ?? 0 };
	}

	all(userId: string, filters: LeadFilters): Promise<LeadRow[]> {
		const where = whereOf(userId, filters);
		return this.db.execute<LeadRow[]>(`select * from leads where ${where.sql} order by created_at, id`, where.params);
	}

	async one(userId: string, id: string): Promise<LeadRow | undefined> {
		return (await this.db.execute<LeadRow[]>(`select * from leads where user_id = ? and id = ?`, [userId, id]))[0];
	}

	/** The stored leads among these (device, phone) pairs. */
	existing(userId: string, keys: LeadValues[]): Promise<LeadRow[]> {
		return this.db.execute<LeadRow[]>(
			`select l.* from leads l join jsonb_to_recordset(?::jsonb) as ${BATCH_RECORD} on l.device_id = r.device and l.phone = r.phone where l.user_id = ?`,
			[batchJson(keys), userId],
		);
	}

	/**
	 * Writes a batch in one statement: new (device, phone) pairs are inserted, stored ones get the
	 * values given (the caller merged them), and `created` tells which was which. Opt-outs stay.
	 */
	upsert(userId: string, rows: LeadValues[]): Promise<{ id: string; device_id: string; phone: string; created: boolean }[]> {
		return this.db.execute(
			`insert into leads (id, user_id, device_id, phone, name, niches, target_status, triggers, notes, created_at, updated_at)
			 select gen_random_uuid(), ?::uuid, r.device, r.phone, r.name, r.niches, r."targetStatus", r.triggers, r.notes, now(), now()
			 from jsonb_to_recordset(?::jsonb) as ${BATCH_RECORD}
			 on conflict (device_id, phone) do update set
			   name = excluded.name, niches = excluded.niches, target_status = excluded.target_status,
			   triggers = excluded.triggers, notes = excluded.notes, updated_at = excluded.updated_at
			 where leads.user_id = excluded.user_id
			 returning id, device_id, phone, (xmax = 0) as created`,
			[userId, batchJson(rows)],
		);
	}

	/** Marks the lead that sent a stop word opted out; undefined when there is none or it already was. */
	async optOut(userId: string, deviceId: string, phone: string): Promise<LeadRow | undefined> {
		const rows = await this.db.execute<LeadRow[]>(
			`update leads set opted_out = true, opted_out_at = now(), updated_at = now()
			 where user_id = ? and device_id = ? and phone = ? and not opted_out returning *`,
			[userId, deviceId, phone],
		);
		return rows[0];
	}

	/** Takes a trigger code off a lead of `userId` and puts another on (a sequence completed, or chained on). */
	async retrigger(userId: string, leadId: string, remove: string, add: string | null): Promise<LeadRow | undefined> {
		const rows = await this.db.execute<LeadRow[]>(
			`update leads set triggers = array_remove(triggers, ?::text) || (case when ?::text is null or ?::text = any(array_remove(triggers, ?::text)) then '{}'::text[] else array[?::text] end), updated_at = now()
			 where user_id = ? and id = ? returning *`,
			[remove, add, add, remove, add, userId, leadId],
		);
		return rows[0];
	}

	/** The fields a message template uses, of these leads (any tenant's: the caller checks `userId`). */
	messageFields(ids: string[]): Promise<LeadMessageFields[]> {
		if (ids.length === 0) return Promise.resolve([]);
		return this.db.execute(
			`select id, user_id as "userId", name, niches, target_status as "targetStatus", notes, opted_out as "optedOut"
			 from leads where id in (select jsonb_array_elements_text(?::jsonb)::uuid)`,
			[JSON.stringify(ids)],
		);
	}
}

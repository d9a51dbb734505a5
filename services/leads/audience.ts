/**
 * Who a campaign reaches, as SQL the leads service owns and the outbox wraps in its
 * `insert … select`: creating 100,000 messages must not carry 100,000 leads through Node.
 */

/** A campaign's audience: the leads of one tenant, of a niche (any case; null or empty: all) and a target status. */
export interface LeadAudience {
	niche: string | null;
	targetStatus: 'all' | 'prospect' | 'customer';
}

/** Niches contain the given one, whatever the case (served by the GIN index on lead_niche_keys). */
export const NICHE_MATCH = 'lead_niche_keys(niches) @> array[lower(?)]';

/** A slice of the lead id space: ids above `after` (none: from the first) up to `until` included (none: to the last). */
export interface LeadIdRange {
	after: string | null;
	until: string | null;
}

/**
 * `n` slices that together hold every lead id, about as many leads each (ids are random), so
 * that several statements can work on one audience at once.
 */
export function leadIdRanges(n: number): LeadIdRange[] {
	const bounds = Array.from({ length: n - 1 }, (_, i) => `${Math.floor(((i + 1) * 2 ** 32) / n - 1).toString(16).padStart(8, '0')}-ffff-ffff-ffff-ffffffffffff`);
	return Array.from({ length: n }, (_, i) => ({ after: bounds[i - 1] ?? null, until: bounds[i] ?? null }));
}

/**
 * One keyset page (by id) of a tenant's audience within a range of ids: `id, device_id, phone,
 * opted_out`. Opted-out leads are in it, so the caller can count them.
 */
export function leadAudienceSql(userId: string, audience: LeadAudience, range: LeadIdRange, limit: number): { sql: string; params: unknown[] } {
	const conditions = ['user_id = ?'];
	const params: unknown[] = [userId];
	if (range.after) {
		conditions.push('id > ?');
		params.push(range.after);
	}
	if (range.until) {
		conditions.push('id <= ?');
		params.push(range.until);
	}
	if (audience.niche) {
		conditions.push(NICHE_MATCH);
		params.push(audience.niche);
	}
	if (audience.targetStatus !== 'all') {
		conditions.push('target_status = ?');
		params.push(audience.targetStatus);
	}
	params.push(limit);
	return { sql: `select id, device_id, phone, opted_out from leads where ${conditions.join(' and ')} order by id limit ?`, params };
}

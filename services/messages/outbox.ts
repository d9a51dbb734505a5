import type { SqlConnection } from '../../mixins/orm/database.ts';
import { leadAudienceSql, type LeadAudience, type LeadIdRange } from '../leads/audience.ts';
import { URGENT_SOURCE, type MessageSource, type MessageStatus } from './message.entity.ts';
import { EMPTY_COUNTERS, type CancelParams, type ClaimRequest, type Counters, type NewMessage, type RecipientDto, type RecipientsParams, type RetryParams, type SourceRef } from './messages.params.ts';

/** What every message of one batch shares. */
export interface Batch extends SourceRef {
	userId: string;
	notBefore: Date;
	expiresAt: Date | null;
}

/** A message claimed for sending: what the node needs to prepare and send it. */
export interface ClaimedMessage extends SourceRef {
	id: string;
	userId: string;
	deviceId: string;
	key: string;
	leadId: string | null;
	recipient: string;
	body: string | null;
	mediaId: string | null;
	epoch: number;
}

/** How a send ended: `pending` puts a message that never left back in the queue. */
/**
 * The SQL condition on a failed message's `error` column under which `retryFailed` queues it again:
 * not a number without WhatsApp (it would fail again), not an interrupted send (it may have arrived).
 */
export const retryableFailure = (error: string) => `${error} not like 'not on WhatsApp%' and ${error} not like 'interrupted%'`;

export interface SendResult {
	id: string;
	status: 'sent' | 'failed' | 'cancelled' | 'pending';
	error?: string | null;
	at: string;
	/** Back to `pending` but not before this time (ISO): the number holds it (new chats paused). */
	notBefore?: string;
}

export interface Receipt {
	/** The device whose message it is: a receipt settles only that device's message. */
	deviceId: string;
	waMessageId: string;
	status: 'delivered' | 'read';
}

/** A message whose status changed to one a source may act on (sent, delivered, read, failed, cancelled). */
export interface SettledMessage extends SourceRef {
	id: string;
	userId: string;
	key: string;
	deviceId: string;
	leadId: string | null;
	status: MessageStatus;
	error: string | null;
}

/** The WhatsApp id of a message: its own id as 32 upper-case hex digits, the form WhatsApp's phone apps use. */
export function waMessageIdOf(id: string): string {
	return id.replace(/-/g, '').toUpperCase();
}

/** The message id behind a WhatsApp id, or undefined when the id is not one of ours. */
export function messageIdOf(waMessageId: string): string | undefined {
	const hex = /^[0-9A-F]{32}$/i.exec(waMessageId)?.[0].toLowerCase();
	return hex && `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const INSERT_CHUNK = 5_000;

/** A message row as a SettledMessage. */
const SETTLED = `id, user_id as "userId", source, source_id as "sourceId", source_key as "key", device_id as "deviceId", lead_id as "leadId", status, error`;

/** Delivered or read settles a message that was sending when its node died (it did leave). */
const SETTLED_BY_RECEIPT = `(status in ('sending', 'sent') or (status = 'failed' and error like 'interrupted%'))`;

/** Every statement on the `messages` table: the durable outbox, whatever the source. */
export class Outbox {
	constructor(private readonly db: SqlConnection) {}

	/**
	 * Inserts the messages, a chunk per statement. A key the source record has already is skipped
	 * (unique source + record + key), so a source that runs twice creates nothing twice.
	 */
	async enqueue(batch: Batch, messages: NewMessage[]): Promise<{ created: number; deviceIds: string[]; ids: Record<string, string> }> {
		const ids: Record<string, string> = {};
		const deviceIds = new Set<string>();
		// In key order: two sources writing overlapping keys at once then wait for each other, never in a circle.
		const sorted = [...messages].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
		for (let i = 0; i < sorted.length; i += INSERT_CHUNK) {
			const chunk = sorted.slice(i, i + INSERT_CHUNK);
			const rows = await this.db.execute<{ id: string; source_key: string; device_id: string }[]>(
				`insert into messages (id, user_id, device_id, source, source_id, source_key, lead_id, recipient, body, media_id, status, not_before, expires_at, created_at, updated_at)
				 select coalesce(r.id, gen_random_uuid()), ?::uuid, r.device_id, ?::text, ?::uuid, r.key, r.lead_id, r.recipient, r.body, r.media_id, 'pending', ?::timestamptz, ?::timestamptz, now(), now()
				 from jsonb_to_recordset(?::jsonb) as r(id uuid, key text, device_id uuid, lead_id uuid, recipient text, body text, media_id uuid)
				 on conflict do nothing
				 returning id, source_key, device_id`,
				[
					batch.userId,
					batch.source,
					batch.sourceId,
					batch.notBefore,
					batch.expiresAt,
					JSON.stringify(chunk.map(m => ({ id: m.id ?? null, key: m.key, device_id: m.deviceId, lead_id: m.leadId, recipient: m.recipient, body: m.body ?? null, media_id: m.mediaId ?? null }))),
				],
			);
			for (const row of rows) {
				ids[row.source_key] = row.id;
				deviceIds.add(row.device_id);
			}
		}
		return { created: Object.keys(ids).length, deviceIds: [...deviceIds], ids };
	}

	/**
	 * One message per lead of one keyset page of an audience, keyed by phone, created inside the
	 * database in one statement; opted-out leads are counted, not messaged. Rows go in in phone
	 * order, so pages of one audience written at once never wait for each other in a circle.
	 */
	async enqueueLeads(batch: Batch, audience: LeadAudience, range: LeadIdRange, limit: number) {
		const page = leadAudienceSql(batch.userId, audience, range, limit);
		const [row] = await this.db.execute<{ scanned: number; opted_out: number; created: number; last: string | null; device_ids: string[] | null }[]>(
			`with audience as (${page.sql}),
			 inserted as (
			   insert into messages (id, user_id, device_id, source, source_id, source_key, lead_id, recipient, status, not_before, expires_at, created_at, updated_at)
			   select gen_random_uuid(), ?::uuid, a.device_id, ?::text, ?::uuid, a.phone, a.id, a.phone, 'pending', ?::timestamptz, ?::timestamptz, now(), now()
			   from audience a where not a.opted_out order by a.phone
			   on conflict do nothing
			   returning device_id)
			 select (select count(*) from audience)::int as scanned,
			   (select count(*) from audience where opted_out)::int as opted_out,
			   (select count(*) from inserted)::int as created,
			   (select id from audience order by id desc limit 1) as last,
			   (select array_agg(distinct device_id) from inserted) as device_ids`,
			[...page.params, batch.userId, batch.source, batch.sourceId, batch.notBefore, batch.expiresAt],
		);
		return { scanned: row.scanned, optedOut: row.opted_out, created: row.created, last: row.last, deviceIds: row.device_ids ?? [] };
	}

	/**
	 * Claims the next due message of each device, in one statement, only where this node holds the
	 * device's lease at that epoch: a person's reply (an inbox message, due the moment it is written,
	 * whatever the clocks of the nodes say) before anything else, and
	 * for a device whose pacing holds it now (`urgentOnly`), nothing else. `SKIP LOCKED` lets any
	 * number of claimers run at once.
	 */
	async claim(nodeId: string, devices: ClaimRequest[]): Promise<ClaimedMessage[]> {
		if (devices.length === 0) return [];
		return this.db.execute<ClaimedMessage[]>(
			`with ready as (
			   select r.device_id, r.epoch, r.urgent_only from jsonb_to_recordset(?::jsonb) as r(device_id uuid, epoch bigint, urgent_only boolean)
			   join device_leases l on l.device_id = r.device_id and l.node_id = ? and l.epoch = r.epoch and l.expires_at > now()),
			 picked as (
			   select coalesce(u.id, n.id) as id, ready.epoch from ready
			   left join lateral (
			     select id from messages where device_id = ready.device_id and status = 'pending' and source = '${URGENT_SOURCE}'
			     order by not_before, id limit 1 for update skip locked) u on true
			   left join lateral (
			     select id from messages where u.id is null and not ready.urgent_only and device_id = ready.device_id and status = 'pending' and not_before <= now()
			     order by not_before, id limit 1 for update skip locked) n on true)
			 update messages m set status = 'sending', claimed_node = ?, claimed_epoch = picked.epoch, claimed_at = now(), updated_at = now()
			 from picked where m.id = picked.id
			 returning m.id, m.user_id as "userId", m.device_id as "deviceId", m.source, m.source_id as "sourceId", m.source_key as "key",
			   m.lead_id as "leadId", m.recipient, m.body, m.media_id as "mediaId", m.claimed_epoch::int as epoch`,
			[JSON.stringify(devices.map(d => ({ device_id: d.deviceId, epoch: d.epoch, urgent_only: d.urgentOnly ?? false }))), nodeId, nodeId],
		);
	}

	/**
	 * Records how `nodeId`'s sends ended, in one statement; a receipt that came first is never
	 * undone, and a message another node has claimed since is not touched. Answers the messages
	 * that settled (not those put back in the queue).
	 */
	record(nodeId: string, results: SendResult[]): Promise<SettledMessage[]> {
		if (results.length === 0) return Promise.resolve([]);
		return this.settled(
			`update messages m set status = r.status, error = r.error, claimed_node = case when r.status = 'pending' then null else m.claimed_node end,
			   sent_at = case when r.status = 'sent' then r.at else m.sent_at end, not_before = coalesce(r.not_before, m.not_before), updated_at = now()
			 from jsonb_to_recordset(?::jsonb) as r(id uuid, status text, error text, at timestamptz, not_before timestamptz)
			 where m.id = r.id and m.status = 'sending' and m.claimed_node = ?
			 returning m.*`,
			[JSON.stringify(results.map(r => ({ id: r.id, status: r.status, error: r.error?.slice(0, 500) ?? null, at: r.at, not_before: r.notBefore ?? null }))), nodeId],
			`where status <> 'pending'`,
		);
	}

	/**
	 * Delivered and read receipts; they only move a message forward, and only the receiving device's.
	 * A WhatsApp id that is not a message id may be one given before ids were derived from them.
	 */
	async receipts(receipts: Receipt[]): Promise<SettledMessage[]> {
		const legacy = await this.legacyIds(receipts.filter(r => !messageIdOf(r.waMessageId)).map(r => r.waMessageId));
		const ids = (status: Receipt['status']) =>
			receipts.filter(r => r.status === status).flatMap(r => {
				const id = messageIdOf(r.waMessageId) ?? legacy.get(r.waMessageId);
				return id ? [{ id, device_id: r.deviceId }] : [];
			});
		const read = ids('read');
		const delivered = ids('delivered');
		// One after the other: a batch may hold both receipts of one message, and two statements locking it at once could deadlock.
		const settled: SettledMessage[] = [];
		if (read.length) {
			settled.push(
				...(await this.settled(
					`update messages m set status = 'read', error = null, read_at = now(), delivered_at = coalesce(delivered_at, now()), sent_at = coalesce(sent_at, now()), updated_at = now()
					 from jsonb_to_recordset(?::jsonb) as r(id uuid, device_id uuid)
					 where m.id = r.id and m.device_id = r.device_id and (${SETTLED_BY_RECEIPT} or status = 'delivered')
					 returning m.*`,
					[JSON.stringify(read)],
				)),
			);
		}
		if (delivered.length) {
			settled.push(
				...(await this.settled(
					`update messages m set status = 'delivered', error = null, delivered_at = now(), sent_at = coalesce(sent_at, now()), updated_at = now()
					 from jsonb_to_recordset(?::jsonb) as r(id uuid, device_id uuid)
					 where m.id = r.id and m.device_id = r.device_id and ${SETTLED_BY_RECEIPT}
					 returning m.*`,
					[JSON.stringify(delivered)],
				)),
			);
		}
		return settled;
	}

	/** The messages sent under these WhatsApp ids before ids were derived from message ids; ids from the phone itself find none. */
	private async legacyIds(waIds: string[]): Promise<Map<string, string>> {
		if (!waIds.length) return new Map();
		const rows = await this.db.execute<{ id: string; wa: string }[]>(
			`select id, legacy_wa_message_id as wa from messages
			 where legacy_wa_message_id in (select jsonb_array_elements_text(?::jsonb))`,
			[JSON.stringify([...new Set(waIds)])],
		);
		return new Map(rows.map(r => [r.wa, r.id]));
	}

	/**
	 * Messages a device's earlier holder claimed and never reported: they may have left or not, so
	 * they are not sent again; a receipt can still settle them.
	 */
	failInterrupted(nodeId: string, devices: { deviceId: string; epoch: number }[]): Promise<SettledMessage[]> {
		if (devices.length === 0) return Promise.resolve([]);
		return this.settled(
			`update messages m set status = 'failed', error = 'interrupted: the node sending it stopped; not re-sent (retry it by hand)', updated_at = now()
			 from jsonb_to_recordset(?::jsonb) as d(device_id uuid, epoch bigint)
			 where m.device_id = d.device_id and m.status = 'sending' and (m.claimed_epoch < d.epoch or m.claimed_node is distinct from ?)
			 returning m.*`,
			[JSON.stringify(devices.map(d => ({ device_id: d.deviceId, epoch: d.epoch }))), nodeId],
		);
	}

	/** Pending messages past their expiry fail with the reason; none is deleted. */
	expire(): Promise<SettledMessage[]> {
		return this.settled(
			`update messages set status = 'failed', error = 'expired: the device did not send it in time (it was offline or held by caps)', updated_at = now()
			 where id in (select id from messages where status = 'pending' and expires_at < now() limit 10000 for update skip locked)
			 returning *`,
		);
	}

	/** Cancels what a source record has not sent yet (on all devices, or one). */
	cancel({ source, sourceId, reason, deviceId }: CancelParams): Promise<SettledMessage[]> {
		return this.settled(
			`update messages set status = 'cancelled', error = ?, updated_at = now()
			 where source = ? and source_id = ? and status = 'pending' and (?::uuid is null or device_id = ?::uuid)
			 returning *`,
			[reason.slice(0, 500), source, sourceId, deviceId ?? null, deviceId ?? null],
		);
	}

	/**
	 * Puts a source record's failed messages back in the queue (`retryableFailure`). Those to numbers not on WhatsApp
	 * stay failed, and so do interrupted ones (they may have arrived): only `retryInterrupted` resends those.
	 */
	retryFailed(ref: RetryParams): Promise<{ count: number; deviceIds: string[] }> {
		return this.requeue(ref, retryableFailure('error'));
	}

	/** Puts a source record's interrupted messages back in the queue: the contact may get one twice. */
	retryInterrupted(ref: RetryParams): Promise<{ count: number; deviceIds: string[] }> {
		return this.requeue(ref, `error like 'interrupted%'`);
	}

	private async requeue({ source, sourceId, deviceId }: RetryParams, which: string): Promise<{ count: number; deviceIds: string[] }> {
		const rows = await this.db.execute<{ device_id: string }[]>(
			`update messages set status = 'pending', error = null, claimed_node = null, claimed_epoch = null, not_before = now(), updated_at = now(),
			   expires_at = case when expires_at is null then null else now() + (expires_at - created_at) end
			 where source = ? and source_id = ? and status = 'failed' and (?::uuid is null or device_id = ?::uuid) and ${which}
			 returning device_id`,
			[source, sourceId, deviceId ?? null, deviceId ?? null],
		);
		return { count: rows.length, deviceIds: [...new Set(rows.map(r => r.device_id))] };
	}

	/** Counters per device of one source record. */
	async counts({ source, sourceId }: SourceRef): Promise<Map<string, Counters>> {
		const rows = await this.db.execute<{ device_id: string; status: MessageStatus; n: number; interrupted: number }[]>(
			`select device_id, status, count(*)::int as n, (count(*) filter (where error like 'interrupted%'))::int as interrupted
			 from messages where source = ? and source_id = ? group by device_id, status`,
			[source, sourceId],
		);
		const byDevice = new Map<string, Counters>();
		for (const row of rows) {
			const counters = byDevice.get(row.device_id) ?? { ...EMPTY_COUNTERS };
			counters[row.status] += row.n;
			counters.shouldSend += row.n;
			if (row.status === 'failed') counters.interrupted += row.interrupted;
			byDevice.set(row.device_id, counters);
		}
		return byDevice;
	}

	/** One page of a source record's recipients (optionally one device's, one status). */
	async recipients({ source, sourceId, deviceId, status, limit, offset }: RecipientsParams): Promise<{ items: RecipientDto[]; total: number }> {
		const where = `source = ? and source_id = ? and (?::uuid is null or device_id = ?::uuid) and (?::text is null or status = ?::text)`;
		const args = [source, sourceId, deviceId ?? null, deviceId ?? null, status ?? null, status ?? null];
		const [rows, total] = await Promise.all([
			this.db.execute<Record<string, unknown>[]>(
				`select id, device_id, lead_id, recipient, status, error, sent_at, delivered_at, read_at, updated_at
				 from messages where ${where} order by recipient limit ? offset ?`,
				[...args, limit, offset],
			),
			this.db.execute<{ n: number }[]>(`select count(*)::int as n from messages where ${where}`, args),
		]);
		const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);
		return {
			total: total[0]?.n ?? 0,
			items: rows.map(r => ({
				id: r.id as string,
				deviceId: r.device_id as string,
				leadId: (r.lead_id as string | null) ?? null,
				phone: r.recipient as string,
				status: r.status as MessageStatus,
				error: (r.error as string | null) ?? null,
				sentAt: iso(r.sent_at),
				deliveredAt: iso(r.delivered_at),
				readAt: iso(r.read_at),
				updatedAt: iso(r.updated_at)!,
			})),
		};
	}

	/** Sends of each device in the last day, newest last, to rebuild its pacing after a move. */
	async recentSends(deviceIds: string[]): Promise<Map<string, number[]>> {
		const out = new Map<string, number[]>();
		if (deviceIds.length === 0) return out;
		const rows = await this.db.execute<{ device_id: string; sent_at: Date | string }[]>(
			`select device_id, sent_at from messages
			 where device_id in (select jsonb_array_elements_text(?::jsonb)::uuid) and sent_at > now() - interval '1 day'
			 order by sent_at`,
			[JSON.stringify(deviceIds)],
		);
		for (const row of rows) {
			const list = out.get(row.device_id) ?? [];
			list.push(new Date(row.sent_at).getTime());
			out.set(row.device_id, list);
		}
		return out;
	}

	/** Runs an `update … returning *` and answers the rows it changed as settled messages (those `filter` keeps). */
	private settled(update: string, params: unknown[] = [], filter = ''): Promise<SettledMessage[]> {
		return this.db.execute<SettledMessage[]>(`with changed as (${update}) select ${SETTLED} from changed ${filter}`, params);
	}
}

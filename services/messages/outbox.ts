import type { SqlConnection } from '../../mixins/database.ts';
import type { MessageSource, MessageStatus } from './message.entity.ts';
import type { RecipientDto, RecipientsParams } from './messages.params.ts';

/** What every message of one batch shares (a campaign's text, image and delays). */
export interface MessageBatch {
	userId: string;
	source: MessageSource;
	campaignId: string | null;
	body: string;
	greeting: string;
	mediaId: string | null;
	imageUrl: string | null;
	minDelaySeconds: number;
	maxDelaySeconds: number;
	notBefore: Date;
	expiresAt: Date | null;
	recipients: { deviceId: string; leadId: string | null; recipient: string; vars: Record<string, unknown> }[];
}

/** A message claimed for sending, with everything the device needs to render and send it. */
export interface ClaimedMessage {
	id: string;
	userId: string;
	deviceId: string;
	campaignId: string | null;
	recipient: string;
	body: string;
	vars: Record<string, unknown>;
	greeting: string;
	mediaId: string | null;
	imageUrl: string | null;
	waMessageId: string;
	minDelaySeconds: number;
	maxDelaySeconds: number;
	epoch: number;
}

/** How a send ended: `pending` puts a message that never left back in the queue. */
export interface SendResult {
	id: string;
	status: 'sent' | 'failed' | 'pending';
	error?: string | null;
	at: string;
}

export interface Receipt {
	waMessageId: string;
	status: 'delivered' | 'read';
}

/** Counters of one campaign (or one device in it). */
export type Counters = Record<'shouldSend' | MessageStatus, number>;

export const EMPTY_COUNTERS: Counters = { shouldSend: 0, pending: 0, sending: 0, sent: 0, delivered: 0, read: 0, failed: 0, cancelled: 0 };

const INSERT_CHUNK = 5_000;

/** Delivered or read settles a message that was sending when its node died (it did leave). */
const SETTLED_BY_RECEIPT = `(status in ('sending', 'sent') or (status = 'failed' and error like 'interrupted%'))`;

/** Every statement on the `messages` table: the durable outbox of SPEC §7. */
export class Outbox {
	constructor(private readonly db: SqlConnection) {}

	/**
	 * Inserts one message per recipient, a chunk per statement. A recipient that already has a
	 * message of this campaign is skipped (unique campaign + phone), so firing twice creates nothing.
	 */
	async enqueue(batch: MessageBatch): Promise<{ created: number; deviceIds: string[] }> {
		let created = 0;
		const deviceIds = new Set<string>();
		for (let i = 0; i < batch.recipients.length; i += INSERT_CHUNK) {
			const chunk = batch.recipients.slice(i, i + INSERT_CHUNK);
			const rows = await this.db.execute<{ device_id: string; n: number }[]>(
				`with inserted as (
				   insert into messages (id, user_id, device_id, source, campaign_id, lead_id, recipient, body, vars, greeting, media_id, image_url,
				     wa_message_id, status, not_before, expires_at, min_delay_seconds, max_delay_seconds, created_at, updated_at)
				   select gen_random_uuid(), ?::uuid, r.device_id, ?::text, ?::uuid, r.lead_id, r.recipient, ?::text, r.vars, ?::text, ?::uuid, ?::text,
				     '3EB0' || upper(substr(replace(gen_random_uuid()::text, '-', ''), 1, 18)), 'pending', ?::timestamptz, ?::timestamptz, ?::int, ?::int, now(), now()
				   from jsonb_to_recordset(?::jsonb) as r(device_id uuid, lead_id uuid, recipient text, vars jsonb)
				   on conflict do nothing
				   returning device_id)
				 select device_id, count(*)::int as n from inserted group by device_id`,
				[
					batch.userId,
					batch.source,
					batch.campaignId,
					batch.body,
					batch.greeting,
					batch.mediaId,
					batch.imageUrl,
					batch.notBefore,
					batch.expiresAt,
					batch.minDelaySeconds,
					batch.maxDelaySeconds,
					JSON.stringify(chunk.map(r => ({ device_id: r.deviceId, lead_id: r.leadId, recipient: r.recipient, vars: r.vars }))),
				],
			);
			for (const row of rows) {
				created += row.n;
				deviceIds.add(row.device_id);
			}
		}
		return { created, deviceIds: [...deviceIds] };
	}

	/**
	 * Claims the next due message of each device, in one statement, only where this node holds the
	 * device's lease at that epoch. `SKIP LOCKED` lets any number of claimers run at once.
	 */
	async claim(nodeId: string, devices: { deviceId: string; epoch: number }[]): Promise<ClaimedMessage[]> {
		if (devices.length === 0) return [];
		const rows = await this.db.execute<Record<string, unknown>[]>(
			`with ready as (
			   select r.device_id, r.epoch from jsonb_to_recordset(?::jsonb) as r(device_id uuid, epoch bigint)
			   join device_leases l on l.device_id = r.device_id and l.node_id = ? and l.epoch = r.epoch and l.expires_at > now()),
			 picked as (
			   select m.id, ready.epoch from ready cross join lateral (
			     select id from messages where device_id = ready.device_id and status = 'pending' and not_before <= now()
			     order by not_before, id limit 1 for update skip locked) m)
			 update messages m set status = 'sending', claimed_node = ?, claimed_epoch = picked.epoch, claimed_at = now(), updated_at = now()
			 from picked where m.id = picked.id
			 returning m.id, m.user_id, m.device_id, m.campaign_id, m.recipient, m.body, m.vars, m.greeting, m.media_id, m.image_url,
			   m.wa_message_id, m.min_delay_seconds, m.max_delay_seconds, m.claimed_epoch`,
			[JSON.stringify(devices.map(d => ({ device_id: d.deviceId, epoch: d.epoch }))), nodeId, nodeId],
		);
		return rows.map(r => ({
			id: r.id as string,
			userId: r.user_id as string,
			deviceId: r.device_id as string,
			campaignId: (r.campaign_id as string | null) ?? null,
			recipient: r.recipient as string,
			body: r.body as string,
			vars: (typeof r.vars === 'string' ? JSON.parse(r.vars) : r.vars) as Record<string, unknown>,
			greeting: r.greeting as string,
			mediaId: (r.media_id as string | null) ?? null,
			imageUrl: (r.image_url as string | null) ?? null,
			waMessageId: r.wa_message_id as string,
			minDelaySeconds: Number(r.min_delay_seconds),
			maxDelaySeconds: Number(r.max_delay_seconds),
			epoch: Number(r.claimed_epoch),
		}));
	}

	/** Records how sends ended, in one statement; a receipt that came first is never undone. */
	record(results: SendResult[]): Promise<string[]> {
		if (results.length === 0) return Promise.resolve([]);
		return this.campaignsOf(
			`update messages m set
			   status = case when m.status = 'sending' then r.status else m.status end,
			   error = case when m.status = 'sending' then r.error else m.error end,
			   sent_at = case when r.status = 'sent' then coalesce(m.sent_at, r.at) else m.sent_at end,
			   claimed_node = case when r.status = 'pending' and m.status = 'sending' then null else m.claimed_node end,
			   updated_at = now()
			 from jsonb_to_recordset(?::jsonb) as r(id uuid, status text, error text, at timestamptz)
			 where m.id = r.id
			 returning m.campaign_id`,
			[JSON.stringify(results.map(r => ({ id: r.id, status: r.status, error: r.error?.slice(0, 500) ?? null, at: r.at })))],
		);
	}

	/** Delivered and read receipts; they only move a message forward. */
	async receipts(receipts: Receipt[]): Promise<string[]> {
		const read = receipts.filter(r => r.status === 'read').map(r => r.waMessageId);
		const delivered = receipts.filter(r => r.status === 'delivered').map(r => r.waMessageId);
		// One after the other: a batch may hold both receipts of one message, and two statements locking it at once could deadlock.
		const touched: string[] = [];
		if (read.length) {
			touched.push(
				...(await this.campaignsOf(
					`update messages set status = 'read', error = null, read_at = now(), delivered_at = coalesce(delivered_at, now()), sent_at = coalesce(sent_at, now()), updated_at = now()
					 where wa_message_id in (select jsonb_array_elements_text(?::jsonb)) and (${SETTLED_BY_RECEIPT} or status = 'delivered')
					 returning campaign_id`,
					[JSON.stringify(read)],
				)),
			);
		}
		if (delivered.length) {
			touched.push(
				...(await this.campaignsOf(
					`update messages set status = 'delivered', error = null, delivered_at = now(), sent_at = coalesce(sent_at, now()), updated_at = now()
					 where wa_message_id in (select jsonb_array_elements_text(?::jsonb)) and ${SETTLED_BY_RECEIPT}
					 returning campaign_id`,
					[JSON.stringify(delivered)],
				)),
			);
		}
		return [...new Set(touched)];
	}

	/**
	 * Messages a device's earlier holder claimed and never reported: they may have left or not, so
	 * they are not sent again; a receipt can still settle them.
	 */
	failInterrupted(nodeId: string, devices: { deviceId: string; epoch: number }[]): Promise<string[]> {
		if (devices.length === 0) return Promise.resolve([]);
		return this.campaignsOf(
			`update messages m set status = 'failed', error = 'interrupted: the node sending it stopped; not re-sent (retry it by hand)', updated_at = now()
			 from jsonb_to_recordset(?::jsonb) as d(device_id uuid, epoch bigint)
			 where m.device_id = d.device_id and m.status = 'sending' and (m.claimed_epoch < d.epoch or m.claimed_node is distinct from ?)
			 returning m.campaign_id`,
			[JSON.stringify(devices.map(d => ({ device_id: d.deviceId, epoch: d.epoch }))), nodeId],
		);
	}

	/** Pending messages past their expiry fail with the reason; none is deleted. */
	expire(): Promise<string[]> {
		return this.campaignsOf(
			`update messages set status = 'failed', error = 'expired: the device did not send it in time (it was offline or held by caps)', updated_at = now()
			 where id in (select id from messages where status = 'pending' and expires_at < now() limit 10000 for update skip locked)
			 returning campaign_id`,
		);
	}

	/** Cancels what a campaign has not sent yet (all devices, or one). */
	async cancel(campaignId: string, reason: string): Promise<number> {
		const rows = await this.db.execute<{ n: number }[]>(
			`with cancelled as (update messages set status = 'cancelled', error = ?, updated_at = now() where campaign_id = ? and status = 'pending' returning 1)
			 select count(*)::int as n from cancelled`,
			[reason, campaignId],
		);
		return rows[0]?.n ?? 0;
	}

	/** Puts failed messages back in the queue (those to numbers not on WhatsApp stay failed). */
	async retryFailed(campaignId: string, deviceId?: string): Promise<{ count: number; deviceIds: string[] }> {
		const rows = await this.db.execute<{ device_id: string }[]>(
			`update messages set status = 'pending', error = null, claimed_node = null, claimed_epoch = null, not_before = now(), updated_at = now(),
			   expires_at = case when expires_at is null then null else now() + (expires_at - created_at) end
			 where campaign_id = ? and status = 'failed' and (?::uuid is null or device_id = ?::uuid) and error not like 'not on WhatsApp%'
			 returning device_id`,
			[campaignId, deviceId ?? null, deviceId ?? null],
		);
		return { count: rows.length, deviceIds: [...new Set(rows.map(r => r.device_id))] };
	}

	/** Counters per device of one campaign. */
	async counts(campaignId: string): Promise<Map<string, Counters>> {
		const rows = await this.db.execute<{ device_id: string; status: MessageStatus; n: number }[]>(
			`select device_id, status, count(*)::int as n from messages where campaign_id = ? group by device_id, status`,
			[campaignId],
		);
		const byDevice = new Map<string, Counters>();
		for (const row of rows) {
			const counters = byDevice.get(row.device_id) ?? { ...EMPTY_COUNTERS };
			counters[row.status] += row.n;
			counters.shouldSend += row.n;
			byDevice.set(row.device_id, counters);
		}
		return byDevice;
	}

	/** One page of a campaign's recipients (optionally one device's, one status). */
	async recipients({ campaignId, deviceId, status, limit, offset }: RecipientsParams): Promise<{ items: RecipientDto[]; total: number }> {
		const where = `campaign_id = ? and (?::uuid is null or device_id = ?::uuid) and (?::text is null or status = ?::text)`;
		const args = [campaignId, deviceId ?? null, deviceId ?? null, status ?? null, status ?? null];
		const [rows, total] = await Promise.all([
			this.db.execute<Record<string, unknown>[]>(
				`select id, device_id, recipient, vars->>'name' as name, status, error, sent_at, delivered_at, read_at, updated_at
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
				phone: r.recipient as string,
				name: (r.name as string | null) ?? null,
				status: r.status as MessageStatus,
				error: (r.error as string | null) ?? null,
				sentAt: iso(r.sent_at),
				deliveredAt: iso(r.delivered_at),
				readAt: iso(r.read_at),
				updatedAt: iso(r.updated_at)!,
			})),
		};
	}

	/** Runs an `update … returning campaign_id` and answers the campaigns it touched, each once. */
	private async campaignsOf(update: string, params: unknown[] = []): Promise<string[]> {
		const rows = await this.db.execute<{ campaign_id: string }[]>(
			`with changed as (${update}) select distinct campaign_id from changed where campaign_id is not null`,
			params,
		);
		return rows.map(r => r.campaign_id);
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
}

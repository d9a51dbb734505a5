/** Every statement that writes chats and chat messages. */
import type { SqlConnection, SqlPool } from '../../mixins/orm/database.ts';
import { timeOrderedId } from '../shared/time-ordered-id.ts';
import type { ChatMessageStatus } from './chat-message.entity.ts';
import { PREVIEW_LENGTH, type MessageRow } from './chat-rows.ts';
import type { FedMessage, FedRead, FedReceipt } from './inbox.params.ts';

/** A message that joined a chat, or one whose status changed. */
export interface StoredMessage {
	row: MessageRow;
	/** New in its chat (not a repeat of one already there). */
	inserted: boolean;
	/** The contact's number (E.164), when known. */
	phone: string | null;
}

export interface IngestResult {
	messages: StoredMessage[];
	/** Messages already shown whose status moved (an inbox reply that went out). */
	changed: MessageRow[];
	/** Chats whose line changed, by id. */
	chats: Set<string>;
	/** LID-only chats that went into the chat of the contact's number: gone id → kept id. */
	merged: Map<string, string>;
}

/** How far along each status of a message to the contact is: a receipt only ever moves one forward. */
const OUTBOUND_RANK: Partial<Record<ChatMessageStatus, number>> = { failed: 0, cancelled: 0, pending: 1, sending: 2, sent: 3, delivered: 4, read: 5 };

const MESSAGE_COLUMNS = `id, user_id, device_id, chat_id, wa_message_id, from_me, origin, outbox_id, text, media_id, media_error, remote_jid, status, error, at`;

/**
 * Chats and their messages. Everything one device's messages change happens under that device's
 * transaction lock, so two nodes (or a reconnect's redelivery) handing over the same contact at
 * once make one chat, and a message seen twice is stored once.
 */
export class InboxStore {
	constructor(private readonly db: SqlPool) {}

	/** Owners of devices (a device deleted meanwhile is absent). */
	async owners(deviceIds: string[]): Promise<Map<string, string>> {
		if (!deviceIds.length) return new Map();
		const rows = await this.db.execute<{ id: string; user_id: string }[]>(`select id, user_id from devices where id in (select jsonb_array_elements_text(?::jsonb)::uuid)`, [
			JSON.stringify(deviceIds),
		]);
		return new Map(rows.map(r => [r.id, r.user_id]));
	}

	/** Stores one device's messages in their chats, in the order given. */
	async ingest(userId: string, deviceId: string, messages: FedMessage[], keep: number): Promise<IngestResult> {
		return this.db.transaction(async tx => {
			await lockDevice(tx, deviceId);
			const result: IngestResult = { messages: [], changed: [], chats: new Set(), merged: new Map() };
			// A contact's chat found once per batch: a burst from one person costs one look-up.
			const resolvedChats = new Map<string, ResolvedChat>();
			for (const message of messages) {
				const contact = `${message.phone}|${message.lid}|${message.fromMe ? '' : message.pushName}`;
				const resolved = resolvedChats.get(contact) ?? (await resolveChat(tx, userId, deviceId, message, result.merged));
				if (!resolved) continue;
				resolvedChats.set(contact, { ...resolved, created: false });
				// A full chat takes nothing older than what it keeps: a message delivered again after it was pruned stays gone.
				if (resolved.messageCount >= keep) {
					const [oldest] = await tx.execute<{ at: Date }[]>(`select at from chat_messages where chat_id = ? order by at, id limit 1`, [resolved.id]);
					if (oldest && new Date(message.at).getTime() < new Date(oldest.at).getTime()) continue;
				}
				const [row] = await tx.execute<MessageRow[]>(
					`insert into chat_messages (id, user_id, device_id, chat_id, wa_message_id, from_me, origin, outbox_id, text, media_id, media_error, remote_jid, status, at, created_at)
					 values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())
					 on conflict (device_id, wa_message_id) do nothing returning ${MESSAGE_COLUMNS}`,
					[
						timeOrderedId(),
						userId,
						deviceId,
						resolved.id,
						message.waMessageId,
						message.fromMe,
						message.origin,
						message.outboxId,
						message.text,
						message.mediaId,
						message.mediaError?.slice(0, 200) ?? null,
						message.remoteJid,
						message.fromMe ? 'sent' : 'received',
						message.at,
					],
				);
				if (row) {
					result.chats.add(resolved.id);
					result.messages.push({ row, inserted: true, phone: resolved.phone });
					continue;
				}
				// Seen before. A chat made just now for it (the contact came by another address) goes again.
				if (resolved.created) {
					await tx.execute(`delete from chats where id = ?`, [resolved.id]);
					resolvedChats.delete(contact);
				}
				const [existing] = await tx.execute<MessageRow[]>(`select ${MESSAGE_COLUMNS} from chat_messages where device_id = ? and wa_message_id = ?`, [deviceId, message.waMessageId]);
				// An inbox reply shown as waiting went out; anything else seen again changes nothing.
				if (existing && message.fromMe && (existing.status === 'pending' || existing.status === 'sending')) {
					const [changed] = await tx.execute<MessageRow[]>(`update chat_messages set status = 'sent', error = null, at = ? where id = ? returning ${MESSAGE_COLUMNS}`, [message.at, existing.id]);
					result.changed.push(changed!);
					result.chats.add(existing.chat_id);
				}
			}
			await refreshChats(tx, [...result.chats]);
			return result;
		});
	}

	/** A reply written in the inbox, shown as waiting until it goes out (or as it stands, if it already went). */
	async reply(userId: string, deviceId: string, chatId: string, message: { outboxId: string; waMessageId: string; text: string; mediaId: string | null }): Promise<StoredMessage> {
		return this.db.transaction(async tx => {
			await lockDevice(tx, deviceId);
			const [row] = await tx.execute<MessageRow[]>(
				`insert into chat_messages (id, user_id, device_id, chat_id, wa_message_id, from_me, origin, outbox_id, text, media_id, status, at, created_at)
				 values (?, ?, ?, ?, ?, true, 'inbox', ?, ?, ?, 'pending', now(), now())
				 on conflict (device_id, wa_message_id) do nothing returning ${MESSAGE_COLUMNS}`,
				[timeOrderedId(), userId, deviceId, chatId, message.waMessageId, message.outboxId, message.text, message.mediaId],
			);
			if (row) {
				await refreshChats(tx, [chatId]);
				return { row, inserted: true, phone: null };
			}
			const [existing] = await tx.execute<MessageRow[]>(`select ${MESSAGE_COLUMNS} from chat_messages where device_id = ? and wa_message_id = ?`, [deviceId, message.waMessageId]);
			return { row: existing!, inserted: false, phone: null };
		});
	}

	/** Takes back a reply that could not be queued. */
	async forget(messageId: string): Promise<void> {
		await this.db.transaction(async tx => {
			const [row] = await tx.execute<{ chat_id: string }[]>(`delete from chat_messages where id = ? returning chat_id`, [messageId]);
			if (row) await refreshChats(tx, [row.chat_id]);
		});
	}

	/** Ticks from receipts: each message moves to the furthest status its receipts say, never back. */
	async receipts(receipts: FedReceipt[]): Promise<MessageRow[]> {
		const furthest = new Map<string, FedReceipt>();
		for (const r of receipts) {
			const key = `${r.deviceId}/${r.waMessageId}`;
			const seen = furthest.get(key);
			if (!seen || OUTBOUND_RANK[r.status]! > OUTBOUND_RANK[seen.status]!) furthest.set(key, r);
		}
		if (!furthest.size) return [];
		const rows = await this.db.execute<MessageRow[]>(
			`update chat_messages m set status = r.status, error = null
			 from jsonb_to_recordset(?::jsonb) as r(device_id uuid, wa_message_id text, status text)
			 where m.device_id = r.device_id and m.wa_message_id = r.wa_message_id and m.from_me
			   and (m.status in ('failed', 'pending', 'sending', 'sent') or (m.status = 'delivered' and r.status = 'read'))
			 returning ${MESSAGE_COLUMNS.replace(/(\w+)/g, 'm.$1')}`,
			[JSON.stringify([...furthest.values()].map(r => ({ device_id: r.deviceId, wa_message_id: r.waMessageId, status: r.status })))],
		);
		await this.refresh(rows.map(r => r.chat_id));
		return rows;
	}

	/** A contact's messages read on the phone: read here too (no receipt is owed, the phone sent it). */
	async readElsewhere(reads: FedRead[]): Promise<string[]> {
		if (!reads.length) return [];
		const rows = await this.db.execute<{ chat_id: string }[]>(
			`update chat_messages m set status = 'read', receipt_due = false
			 from jsonb_to_recordset(?::jsonb) as r(device_id uuid, wa_message_id text)
			 where m.device_id = r.device_id and m.wa_message_id = r.wa_message_id and not m.from_me and m.status = 'received'
			 returning m.chat_id`,
			[JSON.stringify(reads.map(r => ({ device_id: r.deviceId, wa_message_id: r.waMessageId })))],
		);
		const chats = [...new Set(rows.map(r => r.chat_id))];
		await this.refresh(chats);
		return chats;
	}

	/** Marks a chat's unread messages read; answers their keys, owed to WhatsApp as receipts when `receipt` is on. */
	async markRead(chatId: string, receipt: boolean): Promise<{ id: string; remoteJid: string; waMessageId: string }[]> {
		return this.db.transaction(async tx => {
			const rows = await tx.execute<{ id: string; remote_jid: string | null; wa_message_id: string }[]>(
				`update chat_messages set status = 'read', receipt_due = ? and remote_jid is not null where chat_id = ? and status = 'received' returning id, remote_jid, wa_message_id`,
				[receipt, chatId],
			);
			if (rows.length) await refreshChats(tx, [chatId]);
			return rows.filter(r => r.remote_jid).map(r => ({ id: r.id, remoteJid: r.remote_jid!, waMessageId: r.wa_message_id }));
		});
	}

	/** Read receipts a device still owes WhatsApp (the number was offline when its chats were read). */
	async dueReceipts(deviceId: string, limit: number): Promise<{ id: string; remoteJid: string; waMessageId: string }[]> {
		const rows = await this.db.execute<{ id: string; remote_jid: string; wa_message_id: string }[]>(
			`select id, remote_jid, wa_message_id from chat_messages where device_id = ? and receipt_due order by at limit ?`,
			[deviceId, limit],
		);
		return rows.map(r => ({ id: r.id, remoteJid: r.remote_jid, waMessageId: r.wa_message_id }));
	}

	async receiptsSent(ids: string[]): Promise<void> {
		if (ids.length) await this.db.execute(`update chat_messages set receipt_due = false where id in (select jsonb_array_elements_text(?::jsonb)::uuid)`, [JSON.stringify(ids)]);
	}

	/** Inbox replies the outbox gave up on (failed, cancelled): shown so, with the reason. */
	async settled(outcomes: { deviceId: string; waMessageId: string; status: 'failed' | 'cancelled'; error: string | null }[]): Promise<MessageRow[]> {
		if (!outcomes.length) return [];
		const rows = await this.db.execute<MessageRow[]>(
			`update chat_messages m set status = o.status, error = o.error
			 from jsonb_to_recordset(?::jsonb) as o(device_id uuid, wa_message_id text, status text, error text)
			 where m.device_id = o.device_id and m.wa_message_id = o.wa_message_id and m.origin = 'inbox' and m.status in ('pending', 'sending')
			 returning ${MESSAGE_COLUMNS.replace(/(\w+)/g, 'm.$1')}`,
			[JSON.stringify(outcomes.map(o => ({ device_id: o.deviceId, wa_message_id: o.waMessageId, status: o.status, error: o.error?.slice(0, 500) ?? null })))],
		);
		await this.refresh(rows.map(r => r.chat_id));
		return rows;
	}

	/** Chats holding more than `keep` messages (a sweep after a restart finds what was not pruned). */
	async overfull(keep: number, limit: number): Promise<string[]> {
		const rows = await this.db.execute<{ id: string }[]>(`select id from chats where message_count > ? limit ?`, [keep, limit]);
		return rows.map(r => r.id);
	}

	/**
	 * Keeps a chat's newest `keep` messages; answers the ids of the images that went with the
	 * pruned ones and are shown in no other message.
	 */
	async prune(chatId: string, keep: number): Promise<{ userId: string; mediaIds: string[] } | undefined> {
		return this.db.transaction(async tx => {
			const rows = await tx.execute<{ user_id: string; media_id: string | null }[]>(
				`delete from chat_messages where id in (select id from chat_messages where chat_id = ? order by at desc, id desc offset ?) returning user_id, media_id`,
				[chatId, keep],
			);
			if (!rows.length) return undefined;
			await refreshChats(tx, [chatId]);
			const media = [...new Set(rows.map(r => r.media_id).filter((id): id is string => id !== null))];
			const unused = media.length
				? await tx.execute<{ id: string }[]>(
						`select id from jsonb_array_elements_text(?::jsonb) as x(id) where not exists (select 1 from chat_messages where media_id = x.id::uuid)`,
						[JSON.stringify(media)],
					)
				: [];
			return { userId: rows[0]!.user_id, mediaIds: unused.map(r => r.id) };
		});
	}

	/** Recomputes chats' lines: unread, message count, last message. */
	async refresh(chatIds: string[]): Promise<void> {
		const ids = [...new Set(chatIds)];
		if (ids.length) await this.db.transaction(tx => refreshChats(tx, ids));
	}
}

/** Serialises the writers of one device's chats (until the transaction ends). */
async function lockDevice(tx: SqlConnection, deviceId: string): Promise<void> {
	await tx.execute(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`inbox:${deviceId}`]);
}

/**
 * The chat of a message's contact, made if new. A contact known by LID and by number is one chat:
 * a chat that knew only the LID takes the number when it shows up, or goes into the number's chat.
 */
interface ResolvedChat {
	id: string;
	/** The contact's number, when known. */
	phone: string | null;
	/** Made for this message. */
	created: boolean;
	/** Messages the chat held when it was looked up. */
	messageCount: number;
}

async function resolveChat(tx: SqlConnection, userId: string, deviceId: string, message: FedMessage, merged: Map<string, string>): Promise<ResolvedChat | undefined> {
	const { phone, lid } = message;
	if (!phone && !lid) return undefined;
	const pushName = message.fromMe ? null : message.pushName?.slice(0, 200) || null;
	const rows = await tx.execute<{ id: string; phone: string | null; lid: string | null; push_name: string | null; message_count: number }[]>(
		`select id, phone, lid, push_name, message_count from chats where device_id = ? and (phone = ? or lid = ?)`,
		[deviceId, phone, lid],
	);
	let chat = rows.find(r => phone && r.phone === phone) ?? rows[0];
	if (!chat) {
		const [row] = await tx.execute<{ id: string }[]>(
			`insert into chats (id, user_id, device_id, phone, lid, push_name, created_at, updated_at) values (?, ?, ?, ?, ?, ?, now(), now()) returning id`,
			[crypto.randomUUID(), userId, deviceId, phone, lid, pushName],
		);
		return { id: row!.id, phone, created: true, messageCount: 0 };
	}
	const lidOnly = rows.find(r => r.id !== chat!.id && lid && r.lid === lid && !r.phone);
	if (lidOnly) {
		await tx.execute(`update chat_messages set chat_id = ? where chat_id = ?`, [chat.id, lidOnly.id]);
		await tx.execute(`delete from chats where id = ?`, [lidOnly.id]);
		merged.set(lidOnly.id, chat.id);
		chat = { ...chat, lid: null };
	}
	const newLid = chat.lid || rows.some(r => r.id !== chat!.id && r.id !== lidOnly?.id && r.lid === lid) ? null : lid;
	// Written only when something is new: most messages come from a contact already known as they are.
	if ((phone && !chat.phone) || newLid || (pushName && pushName !== chat.push_name)) {
		await tx.execute(`update chats set phone = coalesce(phone, ?), lid = coalesce(lid, ?), push_name = coalesce(?, push_name), updated_at = now() where id = ?`, [
			phone,
			newLid,
			pushName,
			chat.id,
		]);
	}
	return { id: chat.id, phone: chat.phone ?? phone, created: false, messageCount: Number(chat.message_count) };
}

/**
 * Each chat's counters and last message from its messages, inside the caller's transaction. The
 * chats are locked first, by a statement of their own, so the counting statement starts after any
 * other writer of those chats committed and counts what it wrote.
 */
async function refreshChats(tx: SqlConnection, chatIds: string[]): Promise<void> {
	if (!chatIds.length) return;
	const ids = JSON.stringify([...chatIds].sort());
	await tx.execute(`select id from chats where id in (select jsonb_array_elements_text(?::jsonb)::uuid) order by id for update`, [ids]);
	await tx.execute(
		`update chats c set unread = s.unread, message_count = s.total, last_message_id = l.id, last_text = left(l.text, ${PREVIEW_LENGTH}), last_at = l.at,
		   last_from_me = coalesce(l.from_me, false), last_status = l.status, last_has_image = coalesce(l.media_id is not null or l.media_error is not null, false), updated_at = now()
		 from jsonb_array_elements_text(?::jsonb) as ids(id)
		 cross join lateral (select count(*) filter (where status = 'received')::int as unread, count(*)::int as total from chat_messages where chat_id = ids.id::uuid) s
		 left join lateral (select id, text, at, from_me, status, media_id, media_error from chat_messages where chat_id = ids.id::uuid order by at desc, id desc limit 1) l on true
		 where c.id = ids.id::uuid`,
		[ids],
	);
}

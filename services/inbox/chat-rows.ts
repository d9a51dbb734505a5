/** Chats and chat messages as SQL returns them, and as the API shows them. */
import type { SqlConnection } from '../../mixins/orm/database.ts';
import { chatLeadColumns, chatLeadJoin } from '../leads/chat-lead.ts';
import { containsPattern } from '../shared/like.ts';
import type { ChatMessageOrigin, ChatMessageStatus } from './chat-message.entity.ts';
import type { ChatDto, ChatMessageDto } from './inbox.params.ts';

export interface ChatRow {
	id: string;
	user_id: string;
	device_id: string;
	phone: string | null;
	lid: string | null;
	push_name: string | null;
	unread: number;
	message_count: number;
	last_text: string | null;
	last_at: Date | null;
	last_from_me: boolean;
	last_status: ChatMessageStatus | null;
	last_has_image: boolean;
	lead_id: string | null;
	lead_name: string | null;
	opted_out: boolean;
}

export interface MessageRow {
	id: string;
	user_id: string;
	device_id: string;
	chat_id: string;
	wa_message_id: string;
	from_me: boolean;
	origin: ChatMessageOrigin | null;
	outbox_id: string | null;
	text: string;
	media_id: string | null;
	media_error: string | null;
	remote_jid: string | null;
	status: ChatMessageStatus;
	error: string | null;
	at: Date;
}

/** Length of the last message's start kept on the chat's line. */
export const PREVIEW_LENGTH = 200;

const CHAT_COLUMNS = `c.id, c.user_id, c.device_id, c.phone, c.lid, c.push_name, c.unread, c.message_count, c.last_text, c.last_at,
  c.last_from_me, c.last_status, c.last_has_image, ${chatLeadColumns('l')}`;

/** Chats with their lead, from `chats c`. */
export const CHAT_SELECT = `select ${CHAT_COLUMNS} from chats c ${chatLeadJoin('c', 'l')}`;

export function toChatDto(row: ChatRow): ChatDto {
	return {
		id: row.id,
		deviceId: row.device_id,
		phone: row.phone,
		name: row.lead_name ?? row.push_name ?? row.phone ?? 'Unknown number',
		lastMessage: row.last_at
			? { text: row.last_text ?? '', at: new Date(row.last_at).toISOString(), fromMe: row.last_from_me, status: row.last_status, image: row.last_has_image }
			: null,
		unread: Number(row.unread),
		leadId: row.lead_id,
		optedOut: Boolean(row.opted_out),
	};
}

export function toMessageDto(row: MessageRow): ChatMessageDto {
	return {
		id: row.id,
		chatId: row.chat_id,
		fromMe: row.from_me,
		text: row.text,
		image: row.media_id ? { id: row.media_id, url: `/api/media/${row.media_id}` } : null,
		imageError: row.media_error,
		status: row.status,
		error: row.error,
		origin: row.origin,
		at: new Date(row.at).toISOString(),
	};
}

/** Reads chats: one, some, a number's page (newest first, optionally matching a search). */
export class ChatReader {
	constructor(private readonly db: SqlConnection) {}

	async byIds(ids: string[]): Promise<ChatRow[]> {
		if (!ids.length) return [];
		return this.db.execute<ChatRow[]>(`${CHAT_SELECT} where c.id in (select jsonb_array_elements_text(?::jsonb)::uuid)`, [JSON.stringify(ids)]);
	}

	/** A number's chat by the contact's number (E.164) or, for one known only by its LID, by the chat's id. */
	async find(deviceId: string, chat: { phone: string } | { id: string }): Promise<ChatRow | undefined> {
		const [row] =
			'phone' in chat
				? await this.db.execute<ChatRow[]>(`${CHAT_SELECT} where c.device_id = ? and c.phone = ?`, [deviceId, chat.phone])
				: await this.db.execute<ChatRow[]>(`${CHAT_SELECT} where c.device_id = ? and c.id = ?`, [deviceId, chat.id]);
		return row;
	}

	/**
	 * One page of a number's chats, newest first: an indexed read of the page however many chats the
	 * number has. A search also matches the name, the number and the text of the messages kept.
	 */
	async page(deviceId: string, options: { q?: string; limit: number; offset: number }): Promise<ChatRow[]> {
		const params: unknown[] = [deviceId];
		let search = '';
		if (options.q) {
			const pattern = containsPattern(options.q);
			const digits = /^[\d\s()+-]+$/.test(options.q) ? options.q.replace(/\D/g, '') : '';
			// Message text: only this number's messages are read (its part of the unique index on device and WhatsApp id).
			search = ` and (c.push_name ilike ? or l.name ilike ? or c.id in (select m.chat_id from chat_messages m where m.device_id = ? and m.text ilike ?)${digits ? ' or c.phone like ?' : ''})`;
			params.push(pattern, pattern, deviceId, pattern);
			if (digits) params.push(`%${digits}%`);
		}
		params.push(options.limit, options.offset);
		return this.db.execute<ChatRow[]>(`${CHAT_SELECT} where c.device_id = ?${search} order by c.last_at desc, c.id desc limit ? offset ?`, params);
	}

	/** Unread messages per number of a user (only chats with some are read). */
	async unread(userId: string, deviceIds?: string[]): Promise<Map<string, number>> {
		const rows = await this.db.execute<{ device_id: string; unread: number }[]>(
			`select device_id, sum(unread)::int as unread from chats where user_id = ? and unread > 0${deviceIds ? ' and device_id in (select jsonb_array_elements_text(?::jsonb)::uuid)' : ''} group by device_id`,
			deviceIds ? [userId, JSON.stringify(deviceIds)] : [userId],
		);
		return new Map(rows.map(r => [r.device_id, Number(r.unread)]));
	}

	/** A page of a conversation, newest first; `before`: only messages older than this one (at, id). */
	async messages(chatId: string, before: { at: Date; id: string } | undefined, limit: number): Promise<MessageRow[]> {
		return before
			? this.db.execute<MessageRow[]>(`select * from chat_messages where chat_id = ? and (at, id) < (?, ?) order by at desc, id desc limit ?`, [chatId, before.at, before.id, limit])
			: this.db.execute<MessageRow[]>(`select * from chat_messages where chat_id = ? order by at desc, id desc limit ?`, [chatId, limit]);
	}

	async message(chatId: string, id: string): Promise<MessageRow | undefined> {
		const [row] = await this.db.execute<MessageRow[]>(`select * from chat_messages where chat_id = ? and id = ?`, [chatId, id]);
		return row;
	}
}

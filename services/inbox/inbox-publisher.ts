/** Tells the owner's browser tabs what changed in the inbox, and the other services who wrote. */
import type { ServiceBroker } from 'moleculer';
import { toChatDto, toMessageDto, type ChatReader, type ChatRow, type MessageRow } from './chat-rows.ts';
import type { IngestResult } from './inbox-store.ts';
import * as E from './inbox.events.ts';

export class InboxPublisher {
	constructor(
		private readonly broker: ServiceBroker,
		private readonly reader: ChatReader,
	) {}

	/** What one device's batch stored: who wrote (before anything that could fail), merges, new messages, moved ticks, then the chats' lines. Answers the chats. */
	async ingested(userId: string, result: IngestResult): Promise<ChatRow[]> {
		for (const { row, phone } of result.messages) {
			if (!row.from_me && phone) {
				void this.broker.emit<E.InboxReceived>(E.INBOX_RECEIVED, { userId, deviceId: row.device_id, from: phone, text: row.text, messageId: row.id, at: new Date(row.at).toISOString() });
			}
		}
		const chats = await this.reader.byIds([...result.chats]);
		const byId = new Map(chats.map(c => [c.id, c]));
		for (const [fromChatId, into] of result.merged) {
			const chat = byId.get(into);
			if (chat) void this.broker.broadcast<E.InboxChatMerged>(E.INBOX_CHAT_MERGED, { userId, deviceId: chat.device_id, fromChatId, chat: toChatDto(chat) });
		}
		for (const { row } of result.messages) {
			const chat = byId.get(row.chat_id);
			if (!chat) continue;
			void this.broker.broadcast<E.InboxMessage>(E.INBOX_MESSAGE, { userId, deviceId: row.device_id, chatId: row.chat_id, phone: chat.phone, message: toMessageDto(row) });
		}
		this.announceStatuses(result.changed);
		await this.announceChats(userId, chats);
		return chats;
	}

	/** Messages added outside a device's batch (an inbox reply), and their chats' lines. */
	async messages(userId: string, rows: MessageRow[], chatIds: string[]): Promise<void> {
		const chats = await this.reader.byIds(chatIds);
		const phones = new Map(chats.map(c => [c.id, c.phone]));
		for (const row of rows) {
			void this.broker.broadcast<E.InboxMessage>(E.INBOX_MESSAGE, { userId, deviceId: row.device_id, chatId: row.chat_id, phone: phones.get(row.chat_id) ?? null, message: toMessageDto(row) });
		}
		await this.announceChats(userId, chats);
	}

	/** Ticks that moved, and the lines of their chats (whose last message may be one of them). */
	async statuses(rows: MessageRow[]): Promise<void> {
		if (!rows.length) return;
		this.announceStatuses(rows);
		await this.chatsAnyOwner(rows.map(r => r.chat_id));
	}

	/** Chats' lines, of one owner. */
	async chats(userId: string, chatIds: string[]): Promise<void> {
		await this.announceChats(userId, await this.reader.byIds(chatIds));
	}

	/** Chats' lines, whoever owns each. */
	async chatsAnyOwner(chatIds: string[]): Promise<void> {
		if (!chatIds.length) return;
		const byOwner = new Map<string, ChatRow[]>();
		for (const chat of await this.reader.byIds([...new Set(chatIds)])) {
			const chats = byOwner.get(chat.user_id);
			if (chats) chats.push(chat);
			else byOwner.set(chat.user_id, [chat]);
		}
		for (const [userId, chats] of byOwner) await this.announceChats(userId, chats);
	}

	private announceStatuses(rows: MessageRow[]): void {
		for (const row of rows) {
			void this.broker.broadcast<E.InboxMessageStatus>(E.INBOX_MESSAGE_STATUS, {
				userId: row.user_id,
				deviceId: row.device_id,
				chatId: row.chat_id,
				messageId: row.id,
				status: row.status,
				error: row.error,
			});
		}
	}

	private async announceChats(userId: string, chats: ChatRow[]): Promise<void> {
		if (!chats.length) return;
		const unread = await this.reader.unread(userId, [...new Set(chats.map(c => c.device_id))]);
		for (const chat of chats) {
			void this.broker.broadcast<E.InboxChatUpdated>(E.INBOX_CHAT_UPDATED, { userId, deviceId: chat.device_id, chat: toChatDto(chat), deviceUnread: unread.get(chat.device_id) ?? 0 });
		}
	}
}

import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Device } from '../devices/device.entity.ts';
import { Chat } from './chat.entity.ts';
import { timeOrderedId } from '../shared/time-ordered-id.ts';

/**
 * A contact's message: `received`, then `read` once the user read it here or on the phone.
 * A message to the contact: the outbox's statuses, `pending → sending → sent → delivered → read`,
 * or `failed` / `cancelled`.
 */
export const CHAT_MESSAGE_STATUSES = ['received', 'read', 'pending', 'sending', 'sent', 'delivered', 'failed', 'cancelled'] as const;
export type ChatMessageStatus = (typeof CHAT_MESSAGE_STATUSES)[number];

/** Where a message to the contact came from: one of the outbox's sources, or the phone itself. */
export const CHAT_MESSAGE_ORIGINS = ['campaign', 'sequence', 'ai', 'inbox', 'phone'] as const;
export type ChatMessageOrigin = (typeof CHAT_MESSAGE_ORIGINS)[number];

/** One message of a chat, either way. The newest INBOX_MESSAGES_PER_CHAT of each chat are kept. */
export const ChatMessage = defineEntity({
	name: 'ChatMessage',
	tableName: 'chat_messages',
	properties: {
		/** Time-ordered (version 7): messages stamped the same second keep the order they arrived in. */
		id: p.uuid().primary().onCreate(() => timeOrderedId()),
		/** The tenant; its chats go with its devices (no key of its own, so deleting a user reads no index-less column). */
		userId: p.uuid(),
		device: () => p.manyToOne(Device).deleteRule('cascade'),
		chat: () => p.manyToOne(Chat).deleteRule('cascade'),
		/** WhatsApp's id of the message; for the outbox's messages, derived from the outbox id. */
		waMessageId: p.string().length(128),
		fromMe: p.boolean(),
		/** Messages to the contact: what sent it. */
		origin: p.string().length(16).$type<ChatMessageOrigin>().nullable(),
		/** The outbox message behind it, if any. */
		outboxId: p.uuid().nullable(),
		/** Text, or the image's caption ('' for none). */
		text: p.text(),
		mediaId: p.uuid().nullable(),
		/** An image that could not be fetched from WhatsApp: shown as missing, with this reason. */
		mediaError: p.string().length(200).nullable(),
		/** The JID a contact's message came from, for its read receipt. */
		remoteJid: p.string().length(100).nullable(),
		status: p.string().length(16).$type<ChatMessageStatus>(),
		error: p.string().length(500).nullable(),
		/** Read here while the number could not tell WhatsApp: the receipt goes when it can. */
		receiptDue: p.boolean().default(false),
		/** When it was sent or received (WhatsApp's time for a contact's message). */
		at: p.datetime(),
		createdAt: p.datetime().onCreate(() => new Date()),
	},
	uniques: [{ name: 'chat_messages_device_id_wa_message_id_unique', properties: ['device', 'waMessageId'] }],
	indexes: [
		/** A conversation, newest first (read backwards), and pruning past the newest N. */
		{ name: 'chat_messages_chat_id_at_index', properties: ['chat', 'at', 'id'] },
		/** Whether an image is still shown anywhere before it is deleted with its pruned message. */
		{ name: 'chat_messages_media_id_index', properties: ['mediaId'], where: 'media_id is not null' },
		/** Read receipts a number owes WhatsApp, sent when it is back online. */
		{ name: 'chat_messages_receipt_due_index', properties: ['device'], where: 'receipt_due' },
	],
});
export type ChatMessage = InferEntity<typeof ChatMessage>;

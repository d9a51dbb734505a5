import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Device } from '../devices/device.entity.ts';

/**
 * One personal chat of one number: a contact, known by its phone number and, where WhatsApp
 * told it, its LID (one contact is one chat, whichever of the two a message came by). The last
 * message is kept here too, so the chat list is one indexed read however many chats there are.
 */
export const Chat = defineEntity({
	name: 'Chat',
	tableName: 'chats',
	properties: {
		id: p.uuid().primary().onCreate(() => crypto.randomUUID()),
		/** The tenant; its chats go with its devices (no key of its own, so deleting a user reads no index-less column). */
		userId: p.uuid(),
		device: () => p.manyToOne(Device).deleteRule('cascade'),
		/** E.164 with the plus; null while only the contact's LID is known. */
		phone: p.string().length(20).nullable(),
		/** The contact's LID (`<digits>@lid`), when known. */
		lid: p.string().length(100).nullable(),
		/** The name the contact gave WhatsApp. */
		pushName: p.string().length(200).nullable(),
		unread: p.integer().default(0),
		/** Messages kept; above the limit the oldest are pruned. */
		messageCount: p.integer().default(0),
		lastMessageId: p.uuid().nullable(),
		/** The start of the last message's text (or caption). */
		lastText: p.string().length(200).nullable(),
		lastAt: p.datetime().nullable(),
		lastFromMe: p.boolean().default(false),
		lastStatus: p.string().length(16).nullable(),
		lastHasImage: p.boolean().default(false),
		createdAt: p.datetime().onCreate(() => new Date()),
		updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
	},
	uniques: [
		// Unique where set: PostgreSQL lets any number of nulls through.
		{ name: 'chats_device_id_phone_unique', properties: ['device', 'phone'] },
		{ name: 'chats_device_id_lid_unique', properties: ['device', 'lid'] },
	],
	indexes: [
		/** A number's chats, newest first (read backwards). */
		{ name: 'chats_device_id_last_at_index', properties: ['device', 'lastAt', 'id'] },
		/** Unread totals per number: only the chats that have some. */
		{ name: 'chats_unread_index', properties: ['userId', 'device'], where: 'unread > 0' },
	],
});
export type Chat = InferEntity<typeof Chat>;

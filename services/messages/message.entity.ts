import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** `pending → sending → sent → delivered → read`, or `failed` (with the error) or `cancelled`. */
export const MESSAGE_STATUSES = ['pending', 'sending', 'sent', 'delivered', 'read', 'failed', 'cancelled'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** What created a message; each source has its own record (`source_id`) and idempotency key. */
export const MESSAGE_SOURCES = ['campaign', 'sequence', 'ai', 'inbox'] as const;
export type MessageSource = (typeof MESSAGE_SOURCES)[number];

/**
 * A person's reply from the inbox: sent before the number's queued messages, without waiting
 * for the gap, caps or quiet hours (it still counts towards the caps).
 */
export const URGENT_SOURCE = 'inbox' satisfies MessageSource;

/**
 * The outbox: every outbound message is a row before anything is sent. The row is small: what
 * the recipient gets is rendered at send time from the source's record (its template, image and
 * delays) and the lead's fields as they are then; only a literal text (an inbox reply) is kept here.
 */
export const Message = defineEntity({
	name: 'Message',
	tableName: 'messages',
	properties: {
		/** Also the WhatsApp message id (as 32 upper-case hex digits), chosen before sending so a receipt finds the row. */
		id: p.uuid().primary(),
		userId: p.uuid(),
		/** By name, not by import: the outbox depends on no domain's code. A device takes its messages with it. */
		device: p.manyToOne('Device' as never).deleteRule('cascade'),
		source: p.string().length(16).$type<MessageSource>(),
		/** The source's record: a campaign, a sequence step, an AI campaign, a chat. */
		sourceId: p.uuid(),
		/** Unique within (source, source_id): the recipient of a campaign, the enrolment of a step, … */
		sourceKey: p.string().length(64),
		leadId: p.uuid().nullable(),
		/** E.164 with the plus. */
		recipient: p.string().length(20),
		/** Literal text, sent as it is; null: rendered from the source's template. */
		body: p.text().nullable(),
		/** Literal image; null: the source's image, if any. */
		mediaId: p.uuid().nullable(),
		status: p.string().length(16).$type<MessageStatus>().default('pending'),
		error: p.string().length(500).nullable(),
		notBefore: p.datetime(),
		/** Pending past this fails with the reason (the device stayed offline too long). */
		expiresAt: p.datetime().nullable(),
		/** The WhatsApp id of a message sent before ids were derived from the message id: its late receipts still find it. */
		legacyWaMessageId: p.string().length(64).nullable(),
		claimedNode: p.string().length(128).nullable(),
		claimedEpoch: p.bigint('number').nullable(),
		claimedAt: p.datetime().nullable(),
		sentAt: p.datetime().nullable(),
		deliveredAt: p.datetime().nullable(),
		readAt: p.datetime().nullable(),
		createdAt: p.datetime().onCreate(() => new Date()),
		updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
	},
	// Exactly once per source record and key, by construction; it also serves every per-source read (counters, recipients, cancel, retry).
	uniques: [{ name: 'messages_source_key_unique', properties: ['source', 'sourceId', 'sourceKey'] }],
	// Partial indexes where they can be: a row is in each only while in that state, so a write touches few of them.
	indexes: [
		/** A device's queue in claim order. */
		{ name: 'messages_pending_index', properties: ['device', 'notBefore', 'id'], where: `status = 'pending'` },
		/** A number's pending replies, looked for first at every claim: nearly always empty. */
		{ name: 'messages_urgent_index', properties: ['device', 'notBefore', 'id'], where: `status = 'pending' and source = 'inbox'` },
		{ name: 'messages_pending_expiry_index', properties: ['expiresAt'], where: `status = 'pending' and expires_at is not null` },
		/** What a node was sending when it died. */
		{ name: 'messages_sending_index', properties: ['device'], where: `status = 'sending'` },
		{ name: 'messages_legacy_wa_message_id_index', properties: ['legacyWaMessageId'], where: `legacy_wa_message_id is not null` },
		/** A device's sends of the last day, for its caps; whole, since deleting a device and counting what that removes read every row of it. */
		{ name: 'messages_sent_index', properties: ['device', 'sentAt'] },
	],
});
export type Message = InferEntity<typeof Message>;

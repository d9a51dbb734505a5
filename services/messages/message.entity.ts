import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Campaign } from '../campaigns/campaign.entity.ts';
import { Device } from '../devices/device.entity.ts';
import { User } from '../users/user.entity.ts';

/** SPEC §7: `pending → sending → sent → delivered → read`, or `failed` (with the error) or `cancelled`. */
export const MESSAGE_STATUSES = ['pending', 'sending', 'sent', 'delivered', 'read', 'failed', 'cancelled'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const MESSAGE_SOURCES = ['campaign', 'sequence', 'ai', 'inbox'] as const;
export type MessageSource = (typeof MESSAGE_SOURCES)[number];

/**
 * The outbox: every outbound message is a row before anything is sent. The text is the template;
 * it is rendered for the recipient (from `vars`, seeded by the id) when the device sends it.
 */
export const Message = defineEntity({
	name: 'Message',
	tableName: 'messages',
	properties: {
		id: p.uuid().primary(),
		/** No constraint of its own: a message goes with its device, and the device with its user. */
		user: () => p.manyToOne(User).createForeignKeyConstraint(false),
		device: () => p.manyToOne(Device).deleteRule('cascade'),
		source: p.string().length(16).$type<MessageSource>(),
		campaign: () => p.manyToOne(Campaign).deleteRule('set null').nullable(),
		leadId: p.uuid().nullable(),
		/** E.164 with the plus. */
		recipient: p.string().length(20),
		body: p.text(),
		/** The recipient's fields for placeholders (name, niche, …). */
		vars: p.json<Record<string, unknown>>(),
		greeting: p.string().length(16).default('none'),
		mediaId: p.uuid().nullable(),
		imageUrl: p.string().length(2000).nullable(),
		/** The WhatsApp message id, chosen before sending so a receipt can settle a send interrupted by a crash. */
		waMessageId: p.string().length(64).unique(),
		status: p.string().length(16).$type<MessageStatus>().default('pending'),
		error: p.string().length(500).nullable(),
		notBefore: p.datetime(),
		/** Pending past this fails with the reason (the device stayed offline too long). */
		expiresAt: p.datetime().nullable(),
		minDelaySeconds: p.integer().default(0),
		maxDelaySeconds: p.integer().default(0),
		claimedNode: p.string().length(128).nullable(),
		claimedEpoch: p.bigint('number').nullable(),
		claimedAt: p.datetime().nullable(),
		sentAt: p.datetime().nullable(),
		deliveredAt: p.datetime().nullable(),
		readAt: p.datetime().nullable(),
		createdAt: p.datetime().onCreate(() => new Date()),
		updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
	},
	// Also serves every per-campaign read (counters, recipients, cancel, retry).
	uniques: [{ properties: ['campaign', 'recipient'] }],
	// Partial indexes where they can be: a row is in each only while in that state, so a write touches few of them.
	indexes: [
		/** A device's queue in claim order. */
		{ name: 'messages_pending_index', properties: ['device', 'notBefore', 'id'], where: `status = 'pending'` },
		{ name: 'messages_pending_expiry_index', properties: ['expiresAt'], where: `status = 'pending' and expires_at is not null` },
		/** What a node was sending when it died. */
		{ name: 'messages_sending_index', properties: ['device'], where: `status = 'sending'` },
		/** A device's sends of the last day, for its caps; whole, since deleting a device and counting what that removes read every row of it. */
		{ name: 'messages_sent_index', properties: ['device', 'sentAt'] },
	],
});
export type Message = InferEntity<typeof Message>;

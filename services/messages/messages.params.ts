/** The messages service's contract: parameters of its internal actions and the shapes it returns. */
import type { LeadAudience } from '../leads/audience.ts';
import type { LeadMessageFields as RecipientFields } from '../leads/leads.params.ts';
import type { MessageSource, MessageStatus } from './message.entity.ts';

export type { LeadAudience, MessageSource, MessageStatus, RecipientFields };

/** The record a batch of messages belongs to: a campaign, a sequence step, an AI campaign, a chat. */
export interface SourceRef {
	source: MessageSource;
	sourceId: string;
}

/** What a batch shares: its tenant and source, when it may go out, and when it expires. Times as ISO strings. */
export interface BatchParams extends SourceRef {
	userId: string;
	notBefore?: string;
	/** Undefined: the default expiry (MESSAGE_EXPIRY_HOURS); null: never. */
	expiresAt?: string | null;
}

/** One message to create. `key` is unique within the source record: a second message with it is never created. */
export interface NewMessage {
	/** The message's id, when the source must know it before the message exists (its WhatsApp id derives from it); else made here. */
	id?: string;
	key: string;
	deviceId: string;
	leadId: string | null;
	/** E.164 with the plus. */
	recipient: string;
	/** A literal text, sent as it is (no template); left out, the source's template is rendered. */
	body?: string | null;
	/** A literal image; left out, the source's image (if any). */
	mediaId?: string | null;
}

/** `messages.enqueue`: explicit messages, one statement per chunk. */
export interface EnqueueParams extends BatchParams {
	messages: NewMessage[];
}

export interface EnqueueResult {
	created: number;
	deviceIds: string[];
	/** The messages created now, by key (a key that existed already is not here). */
	ids: Record<string, string>;
}

/**
 * `messages.enqueueLeads`: one message per lead of the audience, keyed by the lead's phone, made in
 * the database by one statement: a keyset page of `limit` leads with ids above `after` (none: from
 * the first) and up to `until` included (none: to the last).
 */
export interface EnqueueLeadsParams extends BatchParams {
	audience: LeadAudience;
	after?: string | null;
	until?: string | null;
	limit: number;
}

export interface EnqueueLeadsResult {
	/** Leads read in this page; fewer than `limit`: the audience is done. */
	scanned: number;
	optedOut: number;
	created: number;
	/** The last lead id of the page, for the next one. */
	last: string | null;
	deviceIds: string[];
}

/** A device to claim for, at the epoch of this node's lease; `urgentOnly`: only a person's reply may go now. */
export interface ClaimRequest {
	deviceId: string;
	epoch: number;
	urgentOnly?: boolean;
}

export interface ClaimParams {
	nodeId: string;
	devices: ClaimRequest[];
}

export interface CancelParams extends SourceRef {
	reason: string;
	deviceId?: string;
}

export interface RetryParams extends SourceRef {
	deviceId?: string;
}

export interface RecipientsParams extends SourceRef {
	deviceId?: string;
	status?: MessageStatus;
	limit: number;
	offset: number;
}

/** One recipient of a source's messages, for a report's drill-down. */
export interface RecipientDto {
	id: string;
	deviceId: string;
	leadId: string | null;
	phone: string;
	status: MessageStatus;
	error: string | null;
	sentAt: string | null;
	deliveredAt: string | null;
	readAt: string | null;
	updatedAt: string;
}

/**
 * Counters of one source record (or one device in it) by status; `interrupted` counts the failed
 * ones whose send was cut off by a stopped node (they may have arrived).
 */
export type Counters = Record<'shouldSend' | 'interrupted' | MessageStatus, number>;

export const EMPTY_COUNTERS: Counters = { shouldSend: 0, pending: 0, sending: 0, sent: 0, delivered: 0, read: 0, failed: 0, interrupted: 0, cancelled: 0 };

/**
 * What the source of a message supplies when it is sent (`<service>.messageContent`): the template
 * and image of its record and the gap after it. Asked for by the sending node, cached for a few seconds.
 */
export interface MessageContent {
	userId: string;
	/** Set when the record's messages must not go out any more (a cancelled campaign), with the reason. */
	stopped?: string;
	/** A template: placeholders, spintax, line-break tokens. */
	text: string;
	greeting: string;
	mediaId: string | null;
	minDelaySeconds: number;
	maxDelaySeconds: number;
}

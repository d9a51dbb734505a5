/** The messages service's contract: parameters of its internal actions and the shapes it returns. */
import type { MessageBatch } from './outbox.ts';
import type { MessageStatus } from './message.entity.ts';

export type { MessageStatus };

/** `messages.enqueue`: times as ISO strings; `expiresAt` undefined = the default expiry, null = never. */
export interface EnqueueParams extends Omit<MessageBatch, 'notBefore' | 'expiresAt'> {
	notBefore?: string;
	expiresAt?: string | null;
}

export interface ClaimParams {
	nodeId: string;
	devices: { deviceId: string; epoch: number }[];
}

export interface RecipientsParams {
	campaignId: string;
	deviceId?: string;
	status?: MessageStatus;
	limit: number;
	offset: number;
}

/** One recipient of a campaign in the report's drill-down. */
export interface RecipientDto {
	id: string;
	deviceId: string;
	phone: string;
	name: string | null;
	status: MessageStatus;
	error: string | null;
	sentAt: string | null;
	deliveredAt: string | null;
	readAt: string | null;
	updatedAt: string;
}

/** The campaigns service's public contract: parameters of its actions and the shapes it returns. */
import type { CampaignStatus, CampaignTarget } from './campaign.entity.ts';
import type { Counters, MessageStatus, RecipientDto as MessageRecipientDto } from '../messages/messages.params.ts';

export type { CampaignStatus, CampaignTarget, Counters };

/** One recipient of a campaign: its message, and the lead's name as it is now (null once the lead is gone). */
export interface RecipientDto extends MessageRecipientDto {
	name: string | null;
}

const id = { type: 'uuid', messages: { uuid: 'No such campaign.' } } as const;
const delay = { type: 'number', integer: true, min: 0, max: 3600, optional: true } as const;

/** What any campaign's editor writes about its message and timing (an AI campaign's too). */
export const MESSAGE_CAMPAIGN_FIELDS = {
	title: { type: 'string', trim: true, min: 1, max: 200, messages: { stringMin: 'Give the campaign a title.' } },
	/** ISO 8601 with an offset or Z; the editor converts the tenant-zone date and time. */
	scheduledAt: { type: 'string', max: 40, messages: { string: 'Use an ISO 8601 date and time.' } },
	niche: { type: 'string', trim: true, max: 100, optional: true, nullable: true },
	targetStatus: { type: 'enum', values: ['all', 'prospect', 'customer'], optional: true },
	message: { type: 'string', min: 1, max: 4096, messages: { stringMin: 'Write the message.', stringMax: 'WhatsApp takes at most 4096 characters.' } },
	imageUrl: { type: 'url', max: 2000, optional: true, nullable: true },
	mediaId: { type: 'uuid', optional: true, nullable: true },
	greeting: { type: 'enum', values: ['none', 'en', 'ms'], optional: true },
	minDelaySeconds: delay,
	maxDelaySeconds: delay,
} as const;

const editable = {
	...MESSAGE_CAMPAIGN_FIELDS,
	/** Save without scheduling: a draft never fires. */
	draft: { type: 'boolean', optional: true },
} as const;

export const createParams = { $$strict: true, ...editable } as const;
export interface CampaignFields {
	title: string;
	scheduledAt: string;
	niche?: string | null;
	targetStatus?: CampaignTarget;
	message: string;
	imageUrl?: string | null;
	mediaId?: string | null;
	greeting?: 'none' | 'en' | 'ms';
	minDelaySeconds?: number;
	maxDelaySeconds?: number;
	draft?: boolean;
}

export const updateParams = {
	$$strict: true,
	id,
	...Object.fromEntries(Object.entries(editable).map(([k, v]) => [k, { ...v, optional: true }])),
} as const;
export interface UpdateParams extends Partial<CampaignFields> {
	id: string;
}

export const idParams = { $$strict: true, id } as const;
export interface IdParams {
	id: string;
}

export const listParams = {
	$$strict: true,
	/** The month shown in the calendar: campaigns scheduled in [from, to). */
	from: { type: 'string', max: 40, optional: true },
	to: { type: 'string', max: 40, optional: true },
	status: { type: 'enum', values: ['draft', 'scheduled', 'running', 'completed', 'completed_with_failures', 'failed', 'cancelled'], optional: true },
} as const;
export interface ListParams {
	from?: string;
	to?: string;
	status?: CampaignStatus;
}

export const recipientsParams = {
	$$strict: true,
	id,
	device: { type: 'uuid', optional: true },
	status: { type: 'enum', values: ['pending', 'sending', 'sent', 'delivered', 'read', 'failed', 'cancelled'], optional: true },
	page: { type: 'number', integer: true, min: 1, max: 1_000_000, convert: true, optional: true },
	pageSize: { type: 'number', integer: true, min: 1, max: 500, convert: true, optional: true },
} as const;
export interface RecipientsParams {
	id: string;
	device?: string;
	status?: MessageStatus;
	page?: number;
	pageSize?: number;
}

/** `GET /api/campaigns/:id/recipients`: one page of them. */
export interface RecipientsDto {
	items: RecipientDto[];
	total: number;
	page: number;
	pageSize: number;
}

export const retryParams = { $$strict: true, id, deviceId: { type: 'uuid', optional: true } } as const;
export interface RetryParams {
	id: string;
	deviceId?: string;
}

/** Resending interrupted messages says, in so many words, that a contact may get one twice. */
export const resendInterruptedParams = {
	...retryParams,
	mayDuplicate: {
		type: 'equal',
		value: true,
		strict: true,
		messages: {
			required: 'Say mayDuplicate: true. An interrupted message may have arrived already; resending it can reach the contact twice.',
			equalValue: 'Say mayDuplicate: true. An interrupted message may have arrived already; resending it can reach the contact twice.',
		},
	},
} as const;
export interface ResendInterruptedParams extends RetryParams {
	mayDuplicate: true;
}

export interface CampaignDto {
	id: string;
	title: string;
	scheduledAt: string;
	niche: string | null;
	targetStatus: CampaignTarget;
	message: string;
	imageUrl: string | null;
	mediaId: string | null;
	greeting: string;
	minDelaySeconds: number;
	maxDelaySeconds: number;
	status: CampaignStatus;
	statusReason: string | null;
	shouldSend: number;
	skippedOptedOut: number;
	firedAt: string | null;
	finishedAt: string | null;
	createdAt: string;
	updatedAt: string;
}

export interface ListDto {
	items: CampaignDto[];
	/** Campaigns of the user by status (all of them, not only the listed month). */
	summary: Record<CampaignStatus, number>;
}

/** `GET /api/campaigns/:id/report`. */
export interface ReportDto {
	campaignId: string;
	status: CampaignStatus;
	statusReason: string | null;
	skippedOptedOut: number;
	totals: Counters;
	devices: ({ deviceId: string } & Counters)[];
}

/** AI campaigns' public contract: parameters of their routes and the shapes they answer. */
import type { CampaignTarget } from '../campaigns/campaign.entity.ts';
import { MESSAGE_CAMPAIGN_FIELDS } from '../campaigns/campaigns.params.ts';
import type { AiCampaignStatus } from './ai-campaign.entity.ts';
import type { DeviceState } from './distribution.ts';

export type { AiCampaignStatus, DeviceState };

const id = { type: 'uuid', messages: { uuid: 'No such AI campaign.' } } as const;

const editable = {
	...MESSAGE_CAMPAIGN_FIELDS,
	deviceLimit: {
		type: 'number',
		integer: true,
		min: 1,
		max: 100_000,
		convert: true,
		messages: { numberMin: 'Let each number take at least 1 lead.', numberMax: 'Use at most 100,000.', required: 'Say how many leads one number takes at most.', number: 'Use a whole number.' },
	},
	/** The numbers that take part; null or left out: all of the user's. */
	deviceIds: { type: 'array', items: { type: 'uuid', messages: { uuid: 'Choose among your numbers.' } }, max: 1000, optional: true, nullable: true },
} as const;

export const createParams = { $$strict: true, ...editable } as const;
export interface AiCampaignFields {
	title: string;
	scheduledAt: string;
	niche?: string | null;
	targetStatus?: CampaignTarget;
	message: string;
	imageUrl?: string | null;
	mediaId?: string | null;
	greeting?: 'none' | 'en' | 'ms';
	deviceLimit: number;
	minDelaySeconds?: number;
	maxDelaySeconds?: number;
	deviceIds?: string[] | null;
}

export const updateParams = {
	$$strict: true,
	id,
	...Object.fromEntries(Object.entries(editable).map(([k, v]) => [k, { ...v, optional: true }])),
} as const;
export interface UpdateParams extends Partial<AiCampaignFields> {
	id: string;
}

export const idParams = { $$strict: true, id } as const;
export interface IdParams {
	id: string;
}

export interface AiCampaignDto {
	id: string;
	title: string;
	scheduledAt: string;
	niche: string | null;
	targetStatus: CampaignTarget;
	message: string;
	imageUrl: string | null;
	mediaId: string | null;
	greeting: string;
	deviceLimit: number;
	minDelaySeconds: number;
	maxDelaySeconds: number;
	deviceIds: string[] | null;
	status: AiCampaignStatus;
	statusReason: string | null;
	firedAt: string | null;
	finishedAt: string | null;
	createdAt: string;
	updatedAt: string;
}

/** `GET /api/ai-campaigns/:id/report`. */
export interface AiCampaignReport {
	status: AiCampaignStatus;
	statusReason: string | null;
	totals: { leads: number; pending: number; assigned: number; sent: number; delivered: number; read: number; failed: number };
	devices: { deviceId: string; name: string; assigned: number; sent: number; delivered: number; read: number; failed: number; consecutiveFailures: number; state: DeviceState }[];
}

/** The AI lead pool's public contract: parameters of its routes and the shapes they answer. */
import { LEAD_LIMITS, MAX_PAGE_SIZE, type TargetStatus } from '../leads/leads.params.ts';
import { AI_LEAD_STATUSES, type AiLeadStatus } from '../ai-campaigns/ai-campaign.entity.ts';

export type { AiLeadStatus };

const tagList = { type: 'array', optional: true, max: LEAD_LIMITS.tags, items: { type: 'string', max: LEAD_LIMITS.tag }, messages: { arrayMax: `Use at most ${LEAD_LIMITS.tags}.` } } as const;
const id = { type: 'uuid', messages: { uuid: 'No such AI lead.' } } as const;

const fields = {
	name: { type: 'string', trim: true, max: LEAD_LIMITS.name, optional: true },
	phone: { type: 'string', trim: true, min: 1, max: 40, messages: { stringMin: 'Enter the phone number.', required: 'Enter the phone number.' } },
	niches: tagList,
	targetStatus: { type: 'enum', values: ['prospect', 'customer'], optional: true, messages: { enumValue: 'Use prospect or customer.' } },
	notes: { type: 'string', max: LEAD_LIMITS.notes, optional: true, nullable: true },
} as const;

export const createParams = { $$strict: true, ...fields } as const;
export interface AiLeadFields {
	name?: string;
	phone: string;
	niches?: string[];
	targetStatus?: TargetStatus;
	notes?: string | null;
}

export const updateParams = {
	$$strict: true,
	id,
	...fields,
	phone: { ...fields.phone, optional: true },
	optedOut: { type: 'boolean', optional: true },
	/** `pending` puts a failed or sent lead back in the pool, for the next campaign. */
	status: { type: 'enum', values: ['pending'], optional: true, messages: { enumValue: 'Only pending can be set: it puts the lead back in the pool.' } },
} as const;
export interface UpdateParams extends Partial<AiLeadFields> {
	id: string;
	optedOut?: boolean;
	status?: 'pending';
}

export const idParams = { $$strict: true, id } as const;
export interface IdParams {
	id: string;
}

const filterFields = {
	niche: { type: 'string', trim: true, max: LEAD_LIMITS.tag, optional: true },
	targetStatus: { type: 'enum', values: ['prospect', 'customer'], optional: true, messages: { enumValue: 'Use prospect or customer.' } },
	status: { type: 'enum', values: AI_LEAD_STATUSES, optional: true, messages: { enumValue: `Use ${AI_LEAD_STATUSES.join(', ')}.` } },
	optedOut: { type: 'boolean', convert: true, optional: true },
	q: { type: 'string', trim: true, max: 100, optional: true },
} as const;
export interface AiLeadFilters {
	niche?: string;
	targetStatus?: TargetStatus;
	status?: AiLeadStatus;
	optedOut?: boolean;
	q?: string;
}

export const listParams = {
	$$strict: true,
	...filterFields,
	page: { type: 'number', integer: true, min: 1, max: 1_000_000, convert: true, optional: true },
	pageSize: { type: 'number', integer: true, min: 1, max: MAX_PAGE_SIZE, convert: true, optional: true },
} as const;
export interface ListParams extends AiLeadFilters {
	page?: number;
	pageSize?: number;
}

export const exportParams = { $$strict: true, ...filterFields } as const;

export const importParams = {
	$$strict: true,
	csv: { type: 'string' },
	importId: { type: 'string', pattern: /^[\w-]{1,64}$/, optional: true, messages: { stringPattern: 'Use up to 64 letters, digits, - or _.' } },
} as const;
export interface ImportParams {
	csv: string;
	importId?: string;
}

export interface AiLeadDto {
	id: string;
	name: string;
	/** E.164 with the plus. */
	phone: string;
	niches: string[];
	targetStatus: TargetStatus;
	notes: string | null;
	optedOut: boolean;
	status: AiLeadStatus;
	/** The number that took it, and the AI campaign it was in. */
	deviceId: string | null;
	campaignId: string | null;
	error: string | null;
	sentAt: string | null;
	createdAt: string;
	updatedAt: string;
}

export interface AiLeadPage {
	items: AiLeadDto[];
	total: number;
}

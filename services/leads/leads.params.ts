/** The leads service's public contract: parameters of its actions and the shapes it returns. */
import type { TargetStatus } from './lead.entity.ts';

export type { TargetStatus };

const LIMITS = { name: 200, notes: 2000, tag: 100, tags: 50 } as const;
export { LIMITS as LEAD_LIMITS };

const tagList = { type: 'array', optional: true, max: LIMITS.tags, items: { type: 'string', max: LIMITS.tag }, messages: { arrayMax: `Use at most ${LIMITS.tags}.` } } as const;
/** Tags from other systems: an array, or one string with `;` between values. */
const tagListOrText = { type: 'multi', optional: true, rules: [tagList, { type: 'string', max: LIMITS.tags * (LIMITS.tag + 1) }] } as const;

/** The fields a lead is written with. */
const leadFields = {
	name: { type: 'string', trim: true, max: LIMITS.name, optional: true },
	phone: { type: 'string', trim: true, min: 1, max: 40, messages: { stringMin: 'Enter the phone number.', required: 'Enter the phone number.' } },
	niches: tagList,
	targetStatus: { type: 'enum', values: ['prospect', 'customer'], optional: true, messages: { enumValue: 'Use prospect or customer.' } },
	triggers: tagList,
	notes: { type: 'string', max: LIMITS.notes, optional: true, nullable: true },
} as const;

export const createParams = {
	$$strict: true,
	deviceId: { type: 'uuid', messages: { uuid: 'Choose one of your devices.', required: 'Choose one of your devices.' } },
	...leadFields,
} as const;
export interface LeadFields {
	name?: string;
	phone: string;
	niches?: string[];
	targetStatus?: TargetStatus;
	triggers?: string[];
	notes?: string | null;
}
export interface CreateParams extends LeadFields {
	deviceId: string;
}

export const idParams = {
	$$strict: true,
	id: { type: 'uuid', messages: { uuid: 'No such lead.' } },
} as const;
export interface IdParams {
	id: string;
}

export const updateParams = {
	$$strict: true,
	id: idParams.id,
	deviceId: { ...createParams.deviceId, optional: true },
	...leadFields,
	phone: { ...leadFields.phone, optional: true },
	optedOut: { type: 'boolean', optional: true },
} as const;
export interface UpdateParams extends Partial<LeadFields> {
	id: string;
	deviceId?: string;
	optedOut?: boolean;
}

/** Filters shared by the list and the export; query strings, so numbers and booleans are converted. */
const filterFields = {
	device: { type: 'uuid', optional: true, messages: { uuid: 'Choose one of your devices.' } },
	niche: { type: 'string', trim: true, max: LIMITS.tag, optional: true },
	targetStatus: { type: 'enum', values: ['prospect', 'customer'], optional: true, messages: { enumValue: 'Use prospect or customer.' } },
	optedOut: { type: 'boolean', convert: true, optional: true },
	q: { type: 'string', trim: true, max: 100, optional: true },
} as const;
export interface LeadFilters {
	device?: string;
	niche?: string;
	targetStatus?: TargetStatus;
	optedOut?: boolean;
	q?: string;
}

export const MAX_PAGE_SIZE = 500;
/** Beyond these a page or offset can only be a mistake (or a probe): refused, not sent to the database. */
const MAX_PAGE = 1_000_000;
const MAX_OFFSET = 100_000_000;
export const listParams = {
	$$strict: true,
	...filterFields,
	page: { type: 'number', integer: true, min: 1, max: MAX_PAGE, convert: true, optional: true },
	pageSize: { type: 'number', integer: true, min: 1, max: MAX_PAGE_SIZE, convert: true, optional: true },
	limit: { type: 'number', integer: true, min: 1, max: MAX_PAGE_SIZE, convert: true, optional: true },
	offset: { type: 'number', integer: true, min: 0, max: MAX_OFFSET, convert: true, optional: true },
} as const;
export interface ListParams extends LeadFilters {
	page?: number;
	pageSize?: number;
	limit?: number;
	offset?: number;
}

export const exportParams = { $$strict: true, ...filterFields } as const;
export type ExportParams = LeadFilters;

export const importParams = {
	$$strict: true,
	csv: { type: 'string' },
	/** Chosen by the caller to recognise this import's progress events; made up when absent. */
	importId: { type: 'string', pattern: /^[\w-]{1,64}$/, optional: true, messages: { stringPattern: 'Use up to 64 letters, digits, - or _.' } },
	/** The file has no device column: its rows go to the user's numbers in turn. */
	spread: { type: 'boolean', convert: true, optional: true },
} as const;
export interface ImportParams {
	csv: string;
	importId?: string;
	spread?: boolean;
}

/** One lead from a form or another system; `device` is a device id or name, tags as for create. */
export const webhookParams = {
	$$strict: true,
	userKey: { type: 'string', max: 200 },
	device: { type: 'string', trim: true, min: 1, max: 100, messages: { required: 'Name the device (its id or name).' } },
	...leadFields,
	niche: tagListOrText,
	niches: tagListOrText,
	triggers: tagListOrText,
} as const;
export interface WebhookParams extends Omit<LeadFields, 'niches' | 'triggers'> {
	userKey: string;
	device: string;
	niche?: string[] | string;
	niches?: string[] | string;
	triggers?: string[] | string;
}

export const messageFieldsParams = {
	$$strict: true,
	ids: { type: 'array', max: 20_000, items: { type: 'uuid' } },
} as const;
export interface MessageFieldsParams {
	ids: string[];
}
/** A lead's fields as a message template sees them at send time. */
export interface LeadMessageFields {
	id: string;
	userId: string;
	name: string;
	niches: string[];
	targetStatus: string;
	notes: string | null;
	optedOut: boolean;
}

export interface LeadDto {
	id: string;
	deviceId: string;
	name: string;
	/** E.164 with the plus. */
	phone: string;
	niches: string[];
	targetStatus: TargetStatus;
	triggers: string[];
	notes: string | null;
	optedOut: boolean;
	optedOutAt: string | null;
	createdAt: string;
	updatedAt: string;
}

export interface LeadPage {
	items: LeadDto[];
	total: number;
}

export type ImportRowStatus = 'created' | 'updated' | 'rejected';
export interface ImportRowReport {
	/** Line number in the file (the header is line 1). */
	row: number;
	phone?: string;
	status: ImportRowStatus;
	reason?: string;
}
export interface ImportCounts {
	importId: string;
	/** Data rows in the file. */
	total: number;
	/** Leads created and updated (rows merged into another count once), and rows refused. */
	created: number;
	updated: number;
	rejected: number;
	/** Rows merged into an earlier row with the same device and phone. */
	merged: number;
}
export interface ImportReport extends ImportCounts {
	rows: ImportRowReport[];
}

export interface WebhookKeyStatus {
	exists: boolean;
	createdAt: string | null;
}
/** Returned once, when made: `key` is the only copy the user will ever see. */
export interface CreatedWebhookKey {
	key: string;
	/** Path to POST leads to, e.g. `/api/webhooks/leads/<key>`. */
	path: string;
	createdAt: string;
}

/** The sequences service's public contract: parameters of its actions and the shapes it returns. */
import type { EnrolmentStatus, SequenceStatus } from './sequence.entity.ts';

export type { EnrolmentStatus, SequenceStatus };

export const MAX_STEPS = 31;
export const DAY_SECONDS = 86_400;
/** The longest wait before a step: a year. */
const MAX_DELAY_SECONDS = 366 * DAY_SECONDS;

const id = { type: 'uuid', messages: { uuid: 'No such sequence.' } } as const;
const delay = { type: 'number', integer: true, min: 0, max: 3600, optional: true } as const;
/** Trigger codes as leads carry them: letters, digits, `_` and `-`, case kept. */
const trigger = {
	type: 'string',
	trim: true,
	min: 1,
	max: 100,
	pattern: /^[\p{L}\p{N}_-]+$/u,
	messages: { stringPattern: 'A trigger is one word: letters, digits, _ and -.', stringMin: 'Give the sequence a trigger.' },
} as const;

const step = {
	type: 'object',
	strict: true,
	props: {
		/** Keep a step's id to edit it in place (enrolments waiting for it keep their place). */
		id: { type: 'uuid', optional: true },
		text: { type: 'string', min: 1, max: 4096, messages: { stringMin: 'Write the message of every step.', stringMax: 'WhatsApp takes at most 4096 characters.' } },
		mediaId: { type: 'uuid', optional: true, nullable: true },
		imageUrl: { type: 'url', max: 2000, optional: true, nullable: true },
		delaySeconds: { type: 'number', integer: true, min: 0, max: MAX_DELAY_SECONDS, optional: true, messages: { numberMax: 'A step waits at most a year.' } },
		trigger: { ...trigger, optional: true },
		entry: { type: 'boolean', optional: true },
	},
} as const;

const editable = {
	name: { type: 'string', trim: true, min: 1, max: 200, messages: { stringMin: 'Give the sequence a name.' } },
	trigger,
	niche: { type: 'string', trim: true, max: 100, optional: true, nullable: true },
	description: { type: 'string', trim: true, max: 2000, optional: true, nullable: true },
	greeting: { type: 'enum', values: ['none', 'en', 'ms'], optional: true },
	minDelaySeconds: delay,
	maxDelaySeconds: delay,
	stopOnReply: { type: 'boolean', optional: true },
	chainTo: { type: 'uuid', optional: true, nullable: true, messages: { uuid: 'Chain to one of your sequences.' } },
	steps: {
		type: 'array',
		min: 1,
		max: MAX_STEPS,
		items: step,
		messages: { arrayMin: 'A sequence has at least one step.', arrayMax: `A sequence has at most ${MAX_STEPS} steps.` },
	},
} as const;

export interface StepInput {
	id?: string;
	text: string;
	mediaId?: string | null;
	imageUrl?: string | null;
	delaySeconds?: number;
	trigger?: string;
	entry?: boolean;
}

export interface SequenceFields {
	name: string;
	trigger: string;
	niche?: string | null;
	description?: string | null;
	greeting?: 'none' | 'en' | 'ms';
	minDelaySeconds?: number;
	maxDelaySeconds?: number;
	stopOnReply?: boolean;
	chainTo?: string | null;
	steps: StepInput[];
}

export const createParams = { $$strict: true, ...editable } as const;

export const updateParams = {
	$$strict: true,
	id,
	...Object.fromEntries(Object.entries(editable).map(([k, v]) => [k, { ...v, optional: true }])),
} as const;
export interface UpdateParams extends Partial<SequenceFields> {
	id: string;
}

export const idParams = { $$strict: true, id } as const;
export interface IdParams {
	id: string;
}

export const enrolmentsParams = {
	$$strict: true,
	id,
	status: { type: 'enum', values: ['active', 'waiting', 'completed', 'failed', 'stopped'], optional: true },
	step: { type: 'number', integer: true, min: 1, max: MAX_STEPS, convert: true, optional: true },
	device: { type: 'uuid', optional: true },
	page: { type: 'number', integer: true, min: 1, max: 1_000_000, convert: true, optional: true },
	pageSize: { type: 'number', integer: true, min: 1, max: 200, convert: true, optional: true },
} as const;
export interface EnrolmentsParams {
	id: string;
	status?: EnrolmentStatus;
	step?: number;
	device?: string;
	page?: number;
	pageSize?: number;
}

export interface StepDto {
	id: string;
	/** 1-based. */
	index: number;
	text: string;
	mediaId: string | null;
	imageUrl: string | null;
	delaySeconds: number;
	trigger: string;
	entry: boolean;
}

export interface SequenceDto {
	id: string;
	name: string;
	trigger: string;
	niche: string | null;
	description: string | null;
	status: SequenceStatus;
	greeting: 'none' | 'en' | 'ms';
	minDelaySeconds: number;
	maxDelaySeconds: number;
	stopOnReply: boolean;
	chainTo: string | null;
	steps: StepDto[];
	createdAt: string;
	updatedAt: string;
}

export interface StepCounters {
	sent: number;
	delivered: number;
	read: number;
	failed: number;
	pending: number;
}

export interface SequenceReport {
	enrolled: number;
	active: number;
	completed: number;
	failed: number;
	stopped: number;
	/** Steps sent over steps to send, of every enrolment, 0–100. */
	progress: number;
	steps: (StepCounters & { index: number; trigger: string })[];
	devices: (StepCounters & { deviceId: string })[];
}

export interface EnrolmentDto {
	id: string;
	leadId: string;
	leadName: string;
	phone: string;
	deviceId: string;
	/** The step it waits to send (or whose message is queued), 1-based. */
	step: number;
	status: EnrolmentStatus;
	trigger: string;
	nextAt: string | null;
	error: string | null;
	lastSentAt: string | null;
	finishedAt: string | null;
	createdAt: string;
}

import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Lead } from '../leads/lead.entity.ts';
import { User } from '../users/user.entity.ts';

export const SEQUENCE_STATUSES = ['active', 'paused'] as const;
export type SequenceStatus = (typeof SEQUENCE_STATUSES)[number];

/** A drip of 1–31 steps that a lead enters by carrying its entry trigger (or an entry step's). */
export const Sequence = defineEntity({
	name: 'Sequence',
	tableName: 'sequences',
	properties: {
		id: p.uuid().primary().onCreate(() => crypto.randomUUID()),
		user: () => p.manyToOne(User).deleteRule('cascade').index(),
		name: p.string().length(200),
		/** The entry trigger: step 1's trigger code, matched exactly. */
		trigger: p.string().length(100),
		niche: p.string().length(100).nullable(),
		description: p.text().nullable(),
		status: p.string().length(16).$type<SequenceStatus>().default('active'),
		greeting: p.string().length(16).default('none'),
		minDelaySeconds: p.integer().default(20),
		maxDelaySeconds: p.integer().default(60),
		/** A lead who writes to its number leaves the sequence. */
		stopOnReply: p.boolean().default(true),
		/** Completing this one enrols the lead in that sequence (of the same user). */
		chainTo: p.uuid().nullable(),
		createdAt: p.datetime().onCreate(() => new Date()),
		updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
	},
});
export type Sequence = InferEntity<typeof Sequence>;

/** One step. Its id is what the outbox's messages name (`source_id`), so an edit reaches every enrolment not yet past it. */
export const SequenceStep = defineEntity({
	name: 'SequenceStep',
	tableName: 'sequence_steps',
	properties: {
		id: p.uuid().primary().onCreate(() => crypto.randomUUID()),
		sequence: () => p.manyToOne(Sequence).deleteRule('cascade'),
		/** 1-based place in the sequence. */
		position: p.integer(),
		text: p.text(),
		mediaId: p.uuid().nullable(),
		imageUrl: p.string().length(2000).nullable(),
		/** The wait after the previous step was sent (for step 1, after enrolment). */
		delaySeconds: p.integer(),
		trigger: p.string().length(100),
		/** A lead carrying this step's trigger enrols here. */
		entry: p.boolean().default(false),
	},
	indexes: [{ name: 'sequence_steps_sequence_id_position_index', properties: ['sequence', 'position'] }],
});
export type SequenceStep = InferEntity<typeof SequenceStep>;

/**
 * `active`: its next step is created at `nextAt`; `waiting`: that step's message is in the outbox;
 * then `completed`, `failed` (the step's message failed, with the reason) or `stopped` (the lead
 * replied or opted out).
 */
export const ENROLMENT_STATUSES = ['active', 'waiting', 'completed', 'failed', 'stopped'] as const;
export type EnrolmentStatus = (typeof ENROLMENT_STATUSES)[number];

/** A lead in a sequence: once per sequence, one step at a time. */
export const SequenceEnrolment = defineEntity({
	name: 'SequenceEnrolment',
	tableName: 'sequence_enrolments',
	properties: {
		id: p.uuid().primary().onCreate(() => crypto.randomUUID()),
		userId: p.uuid(),
		sequence: () => p.manyToOne(Sequence).deleteRule('cascade'),
		lead: () => p.manyToOne(Lead).deleteRule('cascade'),
		/** The lead's own number, which sends its steps. */
		deviceId: p.uuid(),
		/** The next step to send, or the one whose message is in the outbox. */
		position: p.integer(),
		stepId: p.uuid().nullable(),
		status: p.string().length(16).$type<EnrolmentStatus>().default('active'),
		nextAt: p.datetime(),
		/** The trigger it entered by. */
		trigger: p.string().length(100),
		error: p.string().length(500).nullable(),
		lastSentAt: p.datetime().nullable(),
		finishedAt: p.datetime().nullable(),
		createdAt: p.datetime().onCreate(() => new Date()),
		updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
	},
	uniques: [{ name: 'sequence_enrolments_sequence_id_lead_id_unique', properties: ['sequence', 'lead'] }],
	indexes: [
		/**
		 * What is due: only the enrolments that wait for their next step, by time and per sequence,
		 * so a claim reads the due ones alone whether it starts from the clock or from the sequences.
		 */
		{ name: 'sequence_enrolments_due_index', properties: ['nextAt'], where: `status = 'active'` },
		{ name: 'sequence_enrolments_due_by_sequence_index', properties: ['sequence', 'nextAt'], where: `status = 'active'` },
		{ name: 'sequence_enrolments_sequence_id_status_index', properties: ['sequence', 'status'] },
		{ name: 'sequence_enrolments_lead_id_index', properties: ['lead'] },
		/** Steps queued a while ago, looked over for what a dead node left half done. */
		{ name: 'sequence_enrolments_waiting_index', properties: ['updatedAt'], where: `status = 'waiting'` },
	],
});
export type SequenceEnrolment = InferEntity<typeof SequenceEnrolment>;

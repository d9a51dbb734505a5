import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { User } from '../users/user.entity.ts';

/** One state machine, written by the campaigns service only. A draft (a fresh clone) never fires. */
export const CAMPAIGN_STATUSES = ['draft', 'scheduled', 'running', 'completed', 'completed_with_failures', 'failed', 'cancelled'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];
export const FINAL_CAMPAIGN_STATUSES: readonly CampaignStatus[] = ['completed', 'completed_with_failures', 'failed', 'cancelled'];

export const TARGET_STATUSES = ['all', 'prospect', 'customer'] as const;
export type CampaignTarget = (typeof TARGET_STATUSES)[number];

/** A message to the leads of one niche and target status, sent once at `scheduledAt` from each lead's own number. */
export const Campaign = defineEntity({
	name: 'Campaign',
	tableName: 'campaigns',
	properties: {
		id: p.uuid().primary().onCreate(() => crypto.randomUUID()),
		user: () => p.manyToOne(User).deleteRule('cascade').index(),
		title: p.string().length(200),
		scheduledAt: p.datetime(),
		/** Null: every niche. */
		niche: p.string().length(100).nullable(),
		targetStatus: p.string().length(16).$type<CampaignTarget>().default('all'),
		message: p.text(),
		imageUrl: p.string().length(2000).nullable(),
		mediaId: p.uuid().nullable(),
		greeting: p.string().length(16).default('none'),
		minDelaySeconds: p.integer().default(20),
		maxDelaySeconds: p.integer().default(60),
		status: p.string().length(32).$type<CampaignStatus>().default('scheduled'),
		statusReason: p.string().length(300).nullable(),
		/** Messages created at firing (frozen then), and matching leads skipped because they opted out. */
		shouldSend: p.integer().default(0),
		skippedOptedOut: p.integer().default(0),
		firedAt: p.datetime().nullable(),
		/** The node creating the messages, and when it last said it is still at it (a dead one's firing is resumed). */
		firingNode: p.string().length(128).nullable(),
		firingBeatAt: p.datetime().nullable(),
		/** All messages exist: completion can be judged from their statuses. */
		firingDone: p.boolean().default(false),
		finishedAt: p.datetime().nullable(),
		createdAt: p.datetime().onCreate(() => new Date()),
		updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
	},
	indexes: [{ properties: ['status', 'scheduledAt'] }],
});
export type Campaign = InferEntity<typeof Campaign>;

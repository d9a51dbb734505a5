import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { CampaignTarget } from '../campaigns/campaign.entity.ts';
import type { TargetStatus } from '../leads/lead.entity.ts';
import { User } from '../users/user.entity.ts';

/** `pending`: in the pool, free to take; `assigned`: its message is in a number's queue; then `sent` or `failed` (for its own reason). */
export const AI_LEAD_STATUSES = ['pending', 'assigned', 'sent', 'failed'] as const;
export type AiLeadStatus = (typeof AI_LEAD_STATUSES)[number];

/** A lead of the AI pool: on no number until an AI campaign gives it to one. */
export const AiLead = defineEntity({
	name: 'AiLead',
	tableName: 'ai_leads',
	properties: {
		id: p.uuid().primary().onCreate(() => crypto.randomUUID()),
		user: () => p.manyToOne(User).deleteRule('cascade'),
		name: p.string().length(200).default(''),
		/** E.164 with the plus. */
		phone: p.string().length(20),
		niches: p.array().defaultRaw(`'{}'`),
		targetStatus: p.string().length(16).$type<TargetStatus>().default('prospect'),
		notes: p.text().nullable(),
		optedOut: p.boolean().default(false),
		status: p.string().length(16).$type<AiLeadStatus>().default('pending'),
		/** The number that took it (assigned, sent or failed there), and the campaign it was in. */
		deviceId: p.uuid().nullable(),
		campaignId: p.uuid().nullable(),
		error: p.string().length(500).nullable(),
		sentAt: p.datetime().nullable(),
		createdAt: p.datetime().onCreate(() => new Date()),
		updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
	},
	uniques: [{ name: 'ai_leads_user_id_phone_unique', properties: ['user', 'phone'] }],
	indexes: [
		{ name: 'ai_leads_user_id_created_at_index', properties: ['user', 'createdAt'] },
		/** What a campaign takes next: the pool's pending leads, oldest first. */
		{ name: 'ai_leads_pending_index', properties: ['user', 'createdAt'], where: `status = 'pending'` },
	],
});
export type AiLead = InferEntity<typeof AiLead>;

/** `running` from its firing until every lead is sent or failed, or no number can take more. */
export const AI_CAMPAIGN_STATUSES = ['scheduled', 'running', 'completed', 'cancelled'] as const;
export type AiCampaignStatus = (typeof AI_CAMPAIGN_STATUSES)[number];

/** A message to the pool's leads of one niche and target status, spread over the user's numbers. */
export const AiCampaign = defineEntity({
	name: 'AiCampaign',
	tableName: 'ai_campaigns',
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
		/** The most leads one number takes in this campaign. */
		deviceLimit: p.integer(),
		minDelaySeconds: p.integer().default(20),
		maxDelaySeconds: p.integer().default(60),
		/** The numbers that take part; null: all of the user's. */
		deviceIds: p.array().nullable(),
		status: p.string().length(16).$type<AiCampaignStatus>().default('scheduled'),
		statusReason: p.string().length(300).nullable(),
		firedAt: p.datetime().nullable(),
		finishedAt: p.datetime().nullable(),
		createdAt: p.datetime().onCreate(() => new Date()),
		updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
	},
	indexes: [{ name: 'ai_campaigns_status_scheduled_at_index', properties: ['status', 'scheduledAt'] }],
});
export type AiCampaign = InferEntity<typeof AiCampaign>;

/**
 * `assigned`: its message is in the number's queue; `sent`; `failed` for the lead's own reason (not on
 * WhatsApp, an interrupted send); `returned`: the number failed it (or went away), and the lead went
 * back to the pool.
 */
export const ASSIGNMENT_STATUSES = ['assigned', 'sent', 'failed', 'returned'] as const;
export type AssignmentStatus = (typeof ASSIGNMENT_STATUSES)[number];

/** One lead given to one number in one campaign; its id is the outbox message's key. */
export const AiAssignment = defineEntity({
	name: 'AiAssignment',
	tableName: 'ai_assignments',
	properties: {
		id: p.uuid().primary().onCreate(() => crypto.randomUUID()),
		campaign: () => p.manyToOne(AiCampaign).deleteRule('cascade'),
		lead: () => p.manyToOne(AiLead).deleteRule('cascade'),
		deviceId: p.uuid(),
		status: p.string().length(16).$type<AssignmentStatus>().default('assigned'),
		error: p.string().length(500).nullable(),
		createdAt: p.datetime().onCreate(() => new Date()),
		updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
	},
	uniques: [{ name: 'ai_assignments_campaign_id_lead_id_device_id_unique', properties: ['campaign', 'lead', 'deviceId'] }],
	indexes: [{ name: 'ai_assignments_campaign_id_device_id_status_index', properties: ['campaign', 'deviceId', 'status'] }],
});
export type AiAssignment = InferEntity<typeof AiAssignment>;

/** A number within one campaign: its run of failures it caused, and when it was marked failed. */
export const AiCampaignDevice = defineEntity({
	name: 'AiCampaignDevice',
	tableName: 'ai_campaign_devices',
	properties: {
		campaign: () => p.manyToOne(AiCampaign).deleteRule('cascade').primary(),
		deviceId: p.uuid().primary(),
		consecutiveFailures: p.integer().default(0),
		failedAt: p.datetime().nullable(),
		lastError: p.string().length(500).nullable(),
	},
});
export type AiCampaignDevice = InferEntity<typeof AiCampaignDevice>;

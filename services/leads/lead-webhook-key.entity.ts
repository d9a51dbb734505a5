import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { User } from '../users/user.entity.ts';

/** A user's inbound lead webhook key. Shown once when made; only its SHA-256 is stored. */
export const LeadWebhookKey = defineEntity({
	name: 'LeadWebhookKey',
	tableName: 'lead_webhook_keys',
	properties: {
		user: () => p.oneToOne(User).primary().deleteRule('cascade').owner(),
		keyHash: p.string().length(64).unique(),
		createdAt: p.datetime().onCreate(() => new Date()),
	},
});
export type LeadWebhookKey = InferEntity<typeof LeadWebhookKey>;

import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { User } from './user.entity.ts';

/** A bearer token for programs. Shown once at creation; only its SHA-256 is stored. */
export const ApiToken = defineEntity({
	name: 'ApiToken',
	tableName: 'api_tokens',
	properties: {
		id: p.uuid().primary().onCreate(() => crypto.randomUUID()),
		user: () => p.manyToOne(User).deleteRule('cascade').index(),
		name: p.string().length(100),
		prefix: p.string().length(16),
		tokenHash: p.string().length(64).unique(),
		createdAt: p.datetime().onCreate(() => new Date()),
		lastUsedAt: p.datetime().nullable(),
		expiresAt: p.datetime().nullable(),
		revokedAt: p.datetime().nullable(),
	},
});
export type ApiToken = InferEntity<typeof ApiToken>;

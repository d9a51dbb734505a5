import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { User } from './user.entity.ts';

/** A dashboard login. The cookie holds a random token; only its SHA-256 is stored. */
export const Session = defineEntity({
	name: 'Session',
	tableName: 'sessions',
	properties: {
		tokenHash: p.string().length(64).primary(),
		user: () => p.manyToOne(User).deleteRule('cascade').index(),
		createdAt: p.datetime().onCreate(() => new Date()),
		expiresAt: p.datetime(),
		ip: p.string().length(64).nullable(),
		userAgent: p.string().length(400).nullable(),
	},
});
export type Session = InferEntity<typeof Session>;

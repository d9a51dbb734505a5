import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { TenantGreetings } from '../shared/greetings.ts';

/** A Fleetcast account. Every other record belongs to one user (the tenant). */
export const User = defineEntity({
	name: 'User',
	tableName: 'users',
	properties: {
		id: p.uuid().primary().onCreate(() => crypto.randomUUID()),
		email: p.string().length(320).unique(),
		name: p.string().length(200),
		passwordHash: p.string().length(200).hidden(),
		timeZone: p.string().length(64),
		/** ISO 3166 alpha-2 code of the country whose numbers need no country code (e.g. MY for 012-345 6789). */
		country: p.string().length(2).nullable(),
		/** The tenant's own versions of the shipped greeting sets; null (or a language left out) greets with the shipped set. */
		greetings: p.json<TenantGreetings>().nullable(),
		/** Reading a chat in the inbox tells the contact (blue ticks); off, the contact sees nothing. */
		readReceipts: p.boolean().default(true),
		/** Numbers show "typing…" before each message, within their pacing gap. */
		typing: p.boolean().default(true),
		createdAt: p.datetime().onCreate(() => new Date()),
		updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
	},
});
export type User = InferEntity<typeof User>;

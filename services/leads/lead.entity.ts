import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Device } from '../devices/device.entity.ts';
import { User } from '../users/user.entity.ts';

export const TARGET_STATUSES = ['prospect', 'customer'] as const;
export type TargetStatus = (typeof TARGET_STATUSES)[number];

/** A contact we may message, reached from one of the owner's devices. */
export const Lead = defineEntity({
	name: 'Lead',
	tableName: 'leads',
	properties: {
		id: p.uuid().primary().onCreate(() => crypto.randomUUID()),
		user: () => p.manyToOne(User).deleteRule('cascade'),
		device: () => p.manyToOne(Device).deleteRule('cascade'),
		name: p.string().length(200).default(''),
		/** E.164 with the plus, e.g. +60123456789. */
		phone: p.string().length(20),
		/** Tags, unique case-insensitively, each kept as first written. */
		niches: p.array().defaultRaw(`'{}'`),
		targetStatus: p.string().length(16).$type<TargetStatus>().default('prospect'),
		/** Sequence trigger codes, matched exactly. */
		triggers: p.array().defaultRaw(`'{}'`),
		notes: p.text().nullable(),
		optedOut: p.boolean().default(false),
		optedOutAt: p.datetime().nullable(),
		createdAt: p.datetime().onCreate(() => new Date()),
		updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
	},
	uniques: [{ name: 'leads_device_id_phone_unique', properties: ['device', 'phone'] }],
	indexes: [
		// Keyset paging by id within a tenant (campaign recipients) and the tenant filter itself.
		{ name: 'leads_user_id_id_index', properties: ['user', 'id'] },
		// The dashboard's list, newest first.
		{ name: 'leads_user_id_created_at_index', properties: ['user', 'createdAt'] },
		// "Leads of niche X" whatever the case; lead_niche_keys() is created by the Leads migration.
		{ name: 'leads_niche_keys_index', expression: 'create index "leads_niche_keys_index" on "leads" using gin (lead_niche_keys("niches"))' },
		// Leads changed lately (a new trigger, an opt-out): what sequences look at each tick.
		{ name: 'leads_updated_at_index', properties: ['updatedAt'] },
	],
});
export type Lead = InferEntity<typeof Lead>;

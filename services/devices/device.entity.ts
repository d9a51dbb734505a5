import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { User } from '../users/user.entity.ts';

/** Where a device is in its life; `device.actor.ts` moves it from one to the next. */
export const DEVICE_STATUSES = ['new', 'pairing', 'connecting', 'online', 'reconnecting', 'offline', 'logged_out', 'banned', 'restricted'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

/** Statuses in which the device should hold a socket, so some node must hold its lease. */
export const HELD_STATUSES: readonly DeviceStatus[] = ['pairing', 'connecting', 'online', 'reconnecting'];

/** One WhatsApp number linked to Fleetcast as a companion device. */
export const Device = defineEntity({
	name: 'Device',
	tableName: 'devices',
	properties: {
		id: p.uuid().primary().onCreate(() => crypto.randomUUID()),
		user: () => p.manyToOne(User).deleteRule('cascade').index(),
		name: p.string().length(100),
		/** E.164 without the plus, as WhatsApp writes it; filled at pairing and kept after logout. */
		phone: p.string().length(20).nullable(),
		jid: p.string().length(100).nullable(),
		lid: p.string().length(100).nullable(),
		status: p.string().length(16).$type<DeviceStatus>().default('new').index(),
		statusReason: p.string().length(300).nullable(),
		lastSeenAt: p.datetime().nullable(),
		minDelaySeconds: p.integer().default(20),
		maxDelaySeconds: p.integer().default(60),
		hourlyCap: p.integer().default(80),
		dailyCap: p.integer().default(800),
		warmUp: p.boolean().default(true),
		/** Minutes after local midnight; both set or both null. */
		quietStartMinute: p.smallint().nullable(),
		quietEndMinute: p.smallint().nullable(),
		createdAt: p.datetime().onCreate(() => new Date()),
		updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
	},
});
export type Device = InferEntity<typeof Device>;

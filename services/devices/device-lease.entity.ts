import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Device } from './device.entity.ts';

/**
 * Which node may hold a device's socket, until when. `epoch` grows at every change of holder, and
 * writes that must not come from a stale holder (auth keys, message claims) check it.
 */
export const DeviceLease = defineEntity({
	name: 'DeviceLease',
	tableName: 'device_leases',
	properties: {
		device: () => p.oneToOne(Device).primary().deleteRule('cascade').owner(),
		nodeId: p.string().length(128).index(),
		epoch: p.bigint('number'),
		expiresAt: p.datetime(),
	},
});
export type DeviceLease = InferEntity<typeof DeviceLease>;

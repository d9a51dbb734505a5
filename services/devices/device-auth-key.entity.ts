import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Device } from './device.entity.ts';

/**
 * A device's Baileys auth state: its creds (type `creds`) and its Signal keys (pre-keys, sessions,
 * sender keys, app-state keys), one row each, the value in Baileys' JSON form.
 */
export const DeviceAuthKey = defineEntity({
	name: 'DeviceAuthKey',
	tableName: 'device_auth_keys',
	properties: {
		device: () => p.manyToOne(Device).primary().deleteRule('cascade'),
		type: p.string().length(40).primary(),
		keyId: p.string().length(300).primary(),
		value: p.json<unknown>(),
	},
});
export type DeviceAuthKey = InferEntity<typeof DeviceAuthKey>;

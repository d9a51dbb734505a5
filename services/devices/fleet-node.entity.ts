import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * A node running the devices service, and when it last ran placement. Nodes that stopped
 * renewing for a lease TTL are not candidates for devices, whatever the broker registry says.
 */
export const FleetNode = defineEntity({
	name: 'FleetNode',
	tableName: 'fleet_nodes',
	properties: {
		nodeId: p.string().length(128).primary(),
		seenAt: p.datetime(),
	},
});
export type FleetNode = InferEntity<typeof FleetNode>;

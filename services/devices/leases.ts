import { createHash } from 'node:crypto';
import type { SqlConnection } from '../../mixins/orm/database.ts';
import { HELD_STATUSES, type DeviceStatus } from './device.entity.ts';

const heldStatuses = HELD_STATUSES.map(s => `'${s}'`).join(', ');

/** A device this node should think about: it wants a holder and has none that is alive. */
export interface Unheld {
	deviceId: string;
	status: DeviceStatus;
	/** Expired for longer than the grace period: any live node may take it, preferred or not. */
	abandoned: boolean;
}

/**
 * Device leases in PostgreSQL (`device_leases`). A node acquires a lease that is free, expired or
 * its own, bumping the epoch; renews all its leases in one statement; releases on handover.
 */
export class Leases {
	/** `renewals` serves renew() and heartbeat(): a connection that no other work can hold up. */
	constructor(
		private readonly db: SqlConnection,
		readonly nodeId: string,
		private readonly ttlMs: number,
		private readonly renewals: SqlConnection = db,
	) {}

	/**
	 * Takes the leases it can among `deviceIds` (free or expired ones; with `expiredOnly: false` also
	 * this node's own, re-taken under a new epoch); returns the epoch of each granted.
	 */
	async acquire(deviceIds: string[], { expiredOnly }: { expiredOnly: boolean }): Promise<Map<string, number>> {
		if (deviceIds.length === 0) return new Map();
		const rows = await this.db.execute<{ device_id: string; epoch: string | number }[]>(
			`insert into device_leases (device_id, node_id, epoch, expires_at)
			 select d.id, ?::text, 1, now() + ?::float8 * interval '1 millisecond'
			 from devices d where d.id in (select jsonb_array_elements_text(?::jsonb)::uuid)
			 on conflict (device_id) do update
			   set node_id = excluded.node_id, epoch = device_leases.epoch + 1, expires_at = excluded.expires_at
			   where device_leases.expires_at < now() or (not ? and device_leases.node_id = excluded.node_id)
			 returning device_id, epoch`,
			[this.nodeId, this.ttlMs, JSON.stringify(deviceIds), expiredOnly],
		);
		return new Map(rows.map(r => [r.device_id, Number(r.epoch)]));
	}

	/** Extends every lease this node holds; returns them with their epochs. */
	async renew(): Promise<Map<string, number>> {
		const rows = await this.renewals.execute<{ device_id: string; epoch: string | number }[]>(
			`update device_leases set expires_at = now() + ?::float8 * interval '1 millisecond' where node_id = ? returning device_id, epoch`,
			[this.ttlMs, this.nodeId],
		);
		return new Map(rows.map(r => [r.device_id, Number(r.epoch)]));
	}

	/**
	 * Gives a device up. The row stays, holderless and expired, so that for the grace period only
	 * its preferred node takes it, not whichever node looks first.
	 */
	async release(deviceId: string, epoch: number): Promise<void> {
		await this.db.execute(`update device_leases set node_id = '', expires_at = now() where device_id = ? and node_id = ? and epoch = ?`, [deviceId, this.nodeId, epoch]);
	}

	/** Devices in a held status whose lease is missing or expired. */
	async unheld(graceMs: number): Promise<Unheld[]> {
		const rows = await this.db.execute<{ id: string; status: DeviceStatus; abandoned: boolean }[]>(
			`select d.id, d.status, coalesce(l.expires_at < now() - ?::float8 * interval '1 millisecond', true) as abandoned
			 from devices d left join device_leases l on l.device_id = d.id
			 where d.status in (${heldStatuses}) and (l.device_id is null or l.expires_at < now())`,
			[graceMs],
		);
		return rows.map(r => ({ deviceId: r.id, status: r.status, abandoned: r.abandoned }));
	}

	/** Records that this node is alive and placing devices (with the lease renewal, every tick). */
	async heartbeat(): Promise<void> {
		await this.renewals.execute(
			`insert into fleet_nodes (node_id, seen_at) values (?, now()) on conflict (node_id) do update set seen_at = excluded.seen_at`,
			[this.nodeId],
		);
	}

	/** Nodes that ran placement within the lease TTL: a node that stopped (or stalled) longer is no candidate. */
	async aliveNodes(): Promise<Set<string>> {
		const rows = await this.db.execute<{ node_id: string }[]>(
			`select node_id from fleet_nodes where seen_at > now() - ?::float8 * interval '1 millisecond'`,
			[this.ttlMs],
		);
		return new Set(rows.map(r => r.node_id));
	}

	/** Leaving the fleet on a graceful stop; also drops nodes not seen for a day. */
	async leave(): Promise<void> {
		await this.db.execute(`delete from fleet_nodes where node_id = ? or seen_at < now() - interval '1 day'`, [this.nodeId]);
	}

	/** Who holds a device now (a valid lease), if anyone. */
	async holder(deviceId: string): Promise<{ nodeId: string; epoch: number } | undefined> {
		const rows = await this.db.execute<{ node_id: string; epoch: string | number }[]>(
			`select node_id, epoch from device_leases where device_id = ? and expires_at > now()`,
			[deviceId],
		);
		return rows[0] ? { nodeId: rows[0].node_id, epoch: Number(rows[0].epoch) } : undefined;
	}
}

function weight(nodeId: string, deviceId: string): bigint {
	return createHash('sha1').update(nodeId).update('\0').update(deviceId).digest().readBigUInt64BE(0);
}

/**
 * Rendezvous (highest random weight) choice: every node computes the same preferred holder from
 * the same node list, and when a node joins or leaves only the devices it wins or held move.
 */
export function preferredNode(deviceId: string, nodes: readonly string[]): string | undefined {
	let best: string | undefined;
	let bestWeight = -1n;
	for (const node of nodes) {
		const w = weight(node, deviceId);
		if (w > bestWeight || (w === bestWeight && best !== undefined && node < best)) {
			best = node;
			bestWeight = w;
		}
	}
	return best;
}

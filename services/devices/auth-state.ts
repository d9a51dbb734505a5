import {
	BufferJSON,
	initAuthCreds,
	proto,
	type AuthenticationCreds,
	type AuthenticationState,
	type SignalDataSet,
	type SignalDataTypeMap,
} from '@whiskeysockets/baileys';
import type { SqlConnection } from '../../mixins/orm/database.ts';

/** Thrown when this node no longer holds the device's lease at the epoch it was granted. */
export class LeaseLostError extends Error {
	constructor(readonly deviceId: string) {
		super(`Lease on device ${deviceId} was lost: another node holds it now.`);
	}
}

export interface Fence {
	nodeId: string;
	epoch: number;
}

const CREDS = 'creds';

interface KeyRow {
	type: string;
	id: string;
	value?: unknown;
}

/**
 * A device's Baileys auth state in PostgreSQL (`device_auth_keys`): creds and Signal keys, one row
 * each. Every write is one statement that checks the lease (node and epoch) in the same snapshot,
 * so a node that lost the device cannot overwrite what the new holder's ratchet wrote. Baileys
 * batches a message's key changes into one `set` call (its transaction), so each becomes one write.
 */
export class AuthStateStore {
	constructor(
		private readonly db: SqlConnection,
		readonly deviceId: string,
		private readonly fence: Fence,
	) {}

	/** The stored creds (fresh ones for a device never linked) and the key store over this table. */
	async load(): Promise<AuthenticationState> {
		const rows = await this.db.execute<{ value: string }[]>(
			`select value::text as value from device_auth_keys where device_id = ? and type = ? and key_id = ''`,
			[this.deviceId, CREDS],
		);
		const creds: AuthenticationCreds = rows[0] ? JSON.parse(rows[0].value, BufferJSON.reviver) : initAuthCreds();
		return {
			creds,
			keys: {
				get: (type, ids) => this.get(type, ids),
				set: data => this.set(data),
			},
		};
	}

	saveCreds(creds: AuthenticationCreds): Promise<void> {
		return this.write([{ type: CREDS, id: '', value: creds }], []);
	}

	private async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]): Promise<{ [id: string]: SignalDataTypeMap[T] }> {
		const found: { [id: string]: SignalDataTypeMap[T] } = {};
		if (ids.length === 0) return found;
		const rows = await this.db.execute<{ id: string; value: string }[]>(
			`select key_id as id, value::text as value from device_auth_keys
			 where device_id = ? and type = ? and key_id in (select jsonb_array_elements_text(?::jsonb))`,
			[this.deviceId, type, JSON.stringify(ids)],
		);
		for (const row of rows) {
			let value = JSON.parse(row.value, BufferJSON.reviver);
			if (type === 'app-state-sync-key') value = proto.Message.AppStateSyncKeyData.fromObject(value);
			found[row.id] = value;
		}
		return found;
	}

	private set(data: SignalDataSet): Promise<void> {
		const upserts: KeyRow[] = [];
		const deletes: KeyRow[] = [];
		for (const [type, values] of Object.entries(data)) {
			for (const [id, value] of Object.entries(values ?? {})) {
				if (value === null || value === undefined) deletes.push({ type, id });
				else upserts.push({ type, id, value });
			}
		}
		return this.write(upserts, deletes);
	}

	private async write(upserts: KeyRow[], deletes: KeyRow[]): Promise<void> {
		if (upserts.length === 0 && deletes.length === 0) return;
		const rows = await this.db.execute<{ held: number }[]>(
			`with lease as (
				select 1 from device_leases where device_id = ? and node_id = ? and epoch = ?
			), removed as (
				delete from device_auth_keys k using jsonb_to_recordset(?::jsonb) as r(type text, id text)
				where k.device_id = ? and k.type = r.type and k.key_id = r.id and exists (select 1 from lease)
			), written as (
				insert into device_auth_keys (device_id, type, key_id, value)
				select ?::uuid, r.type, r.id, r.value from jsonb_to_recordset(?::jsonb) as r(type text, id text, value jsonb)
				where exists (select 1 from lease)
				on conflict (device_id, type, key_id) do update set value = excluded.value
			)
			select count(*)::int as held from lease`,
			[
				this.deviceId,
				this.fence.nodeId,
				this.fence.epoch,
				JSON.stringify(deletes),
				this.deviceId,
				this.deviceId,
				JSON.stringify(upserts, BufferJSON.replacer),
			],
		);
		if (!rows[0]?.held) throw new LeaseLostError(this.deviceId);
	}
}

/**
 * Forgets a device's session (after logout or when WhatsApp unlinked it): the next pairing starts
 * fresh. Fenced like every write, so a stale holder cannot wipe the new holder's session.
 */
export async function clearAuthState(db: SqlConnection, deviceId: string, fence: Fence): Promise<void> {
	await db.execute(
		`delete from device_auth_keys where device_id = ?
		 and exists (select 1 from device_leases where device_id = ? and node_id = ? and epoch = ?)`,
		[deviceId, deviceId, fence.nodeId, fence.epoch],
	);
}

/** True when the device has creds of a completed link (it can reconnect without a QR). */
export async function hasSession(db: SqlConnection, deviceId: string): Promise<boolean> {
	const rows = await db.execute<{ registered: boolean }[]>(
		`select jsonb_typeof(value -> 'me') = 'object' as registered from device_auth_keys where device_id = ? and type = ? and key_id = ''`,
		[deviceId, CREDS],
	);
	return Boolean(rows[0]?.registered);
}

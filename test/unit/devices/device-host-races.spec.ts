import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../mixins/orm/database.ts';
import { LocalConnectLimiter } from '../../../services/devices/connect-limiter.ts';
import { DeviceHost } from '../../../services/devices/device-host.ts';
import type { SqlConnection } from '../../../mixins/orm/database.ts';
import { pgliteDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { SocketCounter } from '../../helpers/socket-counter.ts';
import { FLEETCAST_SCHEMA } from '../../../migrations/schema.ts';

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe('DeviceHost under races: one socket per device, no lease without an actor', () => {
	let testDb: TestDatabase;
	let database: Database;
	let db: SqlConnection;
	let userId: string;
	const hosts: DeviceHost[] = [];

	beforeAll(async () => {
		testDb = pgliteDatabase();
		database = await openDatabase({ schema: FLEETCAST_SCHEMA, dataDir: testDb.dataDir });
		db = database.sql;
		userId = randomUUID();
		await db.execute(`insert into users (id, email, name, password_hash, time_zone, created_at, updated_at) values (?, ?, 'Racer', 'x', 'UTC', now(), now())`, [userId, `${userId}@example.com`]);
	});
	afterAll(async () => {
		for (const host of hosts) await host.stop();
		await database?.close();
		await testDb?.drop();
	});

	function host(nodeId: string, sockets: SocketCounter): DeviceHost {
		const h = new DeviceHost(
			{
				db,
				limiter: new LocalConnectLimiter(50),
				createDriver: store => sockets.driver(store.deviceId),
				liveNodes: () => [nodeId],
				events: { async statusChanged() {}, qr() {}, pairingCode() {}, receipts() {}, messages() {}, readElsewhere() {}, released() {} },
				logger: { info() {}, warn() {}, error() {} },
			},
			{ nodeId, leaseTtlMs: 3_000, tickMs: 1_000, handoverWave: 25, startJitterMs: 0, actor: { maxRestarts: 3, backoffBaseMs: 10, backoffMaxMs: 100, stableAfterMs: 1_000 } },
		);
		hosts.push(h);
		return h;
	}

	async function device(status: string): Promise<string> {
		const id = randomUUID();
		await db.execute(`insert into devices (id, user_id, name, status, created_at, updated_at) values (?, ?, 'Racer', ?, now(), now())`, [id, userId, status]);
		return id;
	}

	it('a node restarted under the same NODE_ID while its old leases are valid takes its devices back at once', async () => {
		const sockets = new SocketCounter();
		const id = await device('online');
		// What a SIGKILLed node-a leaves behind: a valid lease of its own, and no actor anywhere.
		await db.execute(`insert into device_leases (device_id, node_id, epoch, expires_at) values (?, 'node-a', 7, now() + interval '3 seconds')`, [id]);
		const restarted = host('node-a', sockets);
		restarted.start();
		const deadline = Date.now() + 2_500;
		while (sockets.open.get(id) !== 1 && Date.now() < deadline) await sleep(20);
		expect(sockets.open.get(id)).toBe(1);
		expect(restarted.heldDevices()).toEqual([id]);
		const [lease] = await db.execute<{ node_id: string; epoch: string }[]>(`select node_id, epoch from device_leases where device_id = ? and expires_at > now()`, [id]);
		expect(lease.node_id).toBe('node-a');
		expect(Number(lease.epoch)).toBeGreaterThan(7);
		await restarted.stop();
		expect(sockets.open.get(id)).toBe(0);
		await db.execute(`delete from devices where id = ?`, [id]);
	});

	it('a user command racing placement for the same device leaves exactly one socket and one lease', async () => {
		for (let offset = 0; offset < 16; offset++) {
			const sockets = new SocketCounter();
			const id = await device('reconnecting');
			const h = host(`node-race-${offset}`, sockets);
			const placing = h.tick();
			await sleep(offset);
			const commanding = h.command(id, { kind: 'reconnect' }, 'reconnecting');
			await Promise.all([placing, commanding]);
			await h.tick();
			expect(sockets.open.get(id), `offset ${offset}`).toBe(1);
			expect(h.heldDevices(), `offset ${offset}`).toEqual([id]);
			const leases = await db.execute<unknown[]>(`select 1 from device_leases where device_id = ? and node_id = ? and expires_at > now()`, [id, `node-race-${offset}`]);
			expect(leases, `offset ${offset}`).toHaveLength(1);
			await h.stop();
			expect(sockets.open.get(id), `offset ${offset}`).toBe(0);
			await db.execute(`delete from devices where id = ?`, [id]);
		}
	});
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../mixins/orm/database.ts';
import { LocalConnectLimiter } from '../../../services/devices/connect-limiter.ts';
import { DeviceHost } from '../../../services/devices/device-host.ts';
import { postgresDatabase, postgresReachable, type TestDatabase } from '../../helpers/databases.ts';
import { SocketCounter } from '../../helpers/socket-counter.ts';
import { FLEETCAST_SCHEMA } from '../../../migrations/schema.ts';

const TTL_MS = 1_500;
const available = await postgresReachable();
if (!available && process.env.CI) throw new Error('This test needs PostgreSQL; .ci/run should have started it.');

// PostgreSQL only: on PGlite one slow statement holds its single backend, whatever the connection.
describe.runIf(available)('device leases stay renewed while every pooled connection is busy', () => {
	let testDb: TestDatabase;
	let database: Database;
	let host: DeviceHost | undefined;

	beforeAll(async () => {
		testDb = await postgresDatabase();
		// One pooled connection, so a single slow statement holds up everything else that uses the pool.
		database = await openDatabase({ schema: FLEETCAST_SCHEMA, databaseUrl: testDb.databaseUrl, dataDir: testDb.dataDir, poolMax: 1 });
	});
	afterAll(async () => {
		await host?.stop();
		await database?.close();
		await testDb?.drop();
	});

	it('keeps the socket open through a pool stall longer than the lease TTL', async () => {
		const userId = randomUUID();
		const deviceId = randomUUID();
		await database.sql.execute(`insert into users (id, email, name, password_hash, time_zone, created_at, updated_at) values (?, ?, 'Busy', 'x', 'UTC', now(), now())`, [userId, `${userId}@example.com`]);
		await database.sql.execute(`insert into devices (id, user_id, name, status, created_at, updated_at) values (?, ?, 'Busy', 'online', now(), now())`, [deviceId, userId]);
		const sockets = new SocketCounter();
		host = new DeviceHost(
			{
				db: database.sql,
				renewals: database.dedicated({ timeoutMs: 500, onError: () => undefined }),
				limiter: new LocalConnectLimiter(5),
				createDriver: store => sockets.driver(store.deviceId),
				liveNodes: () => ['busy-node'],
				events: { async statusChanged() {}, qr() {}, pairingCode() {}, receipts() {}, messages() {}, readElsewhere() {}, released() {} },
				logger: { info() {}, warn() {}, error() {} },
			},
			{ nodeId: 'busy-node', leaseTtlMs: TTL_MS, tickMs: 500, handoverWave: 5, startJitterMs: 0, actor: { maxRestarts: 3, backoffBaseMs: 10, backoffMaxMs: 100, stableAfterMs: 1_000 } },
		);
		host.start();
		await expect.poll(() => host?.actor(deviceId)?.status).toBe('online');
		const actor = host.actor(deviceId);

		// Twice the TTL with the only pooled connection taken: renewal must not wait for it.
		const stall = database.sql.execute(`select pg_sleep(?)`, [(2 * TTL_MS) / 1000]);
		const watch = database.dedicated({ timeoutMs: 2_000, onError: () => undefined });
		const until = Date.now() + 2 * TTL_MS;
		while (Date.now() < until) {
			const [lease] = await watch.execute<{ valid: boolean }[]>(`select expires_at > now() as valid from device_leases where device_id = ? and node_id = 'busy-node'`, [deviceId]);
			expect(lease?.valid).toBe(true);
			expect(sockets.open.get(deviceId)).toBe(1);
			await new Promise(resolve => setTimeout(resolve, 100));
		}
		await stall;
		expect(host.actor(deviceId)).toBe(actor);
		expect(actor?.status).toBe('online');
	}, 30_000);
});

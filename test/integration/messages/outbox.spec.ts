import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database, type SqlConnection } from '../../../mixins/database.ts';
import { Outbox, type MessageBatch } from '../../../services/messages/outbox.ts';
import { pgliteDatabase, postgresDatabase, postgresReachable, type TestDatabase } from '../../helpers/databases.ts';

const kinds = [{ name: 'pglite', make: async () => pgliteDatabase() }, { name: 'postgres', make: postgresDatabase }];

describe.each(kinds)('the outbox on $name: claims fenced by the lease, outcomes and receipts never undone', ({ name, make }) => {
	let testDb: TestDatabase;
	let database: Database;
	let db: SqlConnection;
	let outbox: Outbox;
	let userId: string;
	const devices = [randomUUID(), randomUUID()];

	beforeAll(async () => {
		if (name === 'postgres' && !(await postgresReachable())) throw new Error('PostgreSQL is not reachable at 127.0.0.1:5432');
		testDb = await make();
		database = await openDatabase({ databaseUrl: testDb.databaseUrl, dataDir: testDb.dataDir });
		db = database.sql;
		outbox = new Outbox(db);
		userId = randomUUID();
		await db.execute(`insert into users (id, email, name, password_hash, time_zone, created_at, updated_at) values (?, ?, 'Sender', 'x', 'UTC', now(), now())`, [userId, `${userId}@example.com`]);
		for (const [i, id] of devices.entries()) {
			await db.execute(`insert into devices (id, user_id, name, status, created_at, updated_at) values (?, ?, ?, 'online', now(), now())`, [id, userId, `D${i}`]);
		}
		// node-a holds device 0 at epoch 3; device 1 is held by node-b.
		await db.execute(`insert into device_leases (device_id, node_id, epoch, expires_at) values (?, 'node-a', 3, now() + interval '1 minute'), (?, 'node-b', 1, now() + interval '1 minute')`, devices);
	});
	afterAll(async () => {
		await database?.close();
		await testDb?.drop();
	});

	const batch = (campaignId: string | null, phones: [number, string][]): MessageBatch => ({
		userId,
		source: 'campaign',
		campaignId,
		body: 'Hi {name}',
		greeting: 'none',
		mediaId: null,
		imageUrl: null,
		minDelaySeconds: 0,
		maxDelaySeconds: 0,
		notBefore: new Date(Date.now() - 1000),
		expiresAt: null,
		recipients: phones.map(([device, phone]) => ({ deviceId: devices[device], leadId: null, recipient: phone, vars: { name: phone } })),
	});

	it('enqueues once per campaign and phone, however often firing runs', async () => {
		const campaignId = randomUUID();
		await db.execute(`insert into campaigns (id, user_id, title, scheduled_at, message, created_at, updated_at) values (?, ?, 'T', now(), 'x', now(), now())`, [campaignId, userId]);
		const first = await outbox.enqueue(batch(campaignId, [[0, '+15550000001'], [1, '+15550000002']]));
		const again = await outbox.enqueue(batch(campaignId, [[0, '+15550000001'], [1, '+15550000002'], [0, '+15550000003']]));
		expect(first.created).toBe(2);
		expect(again).toEqual({ created: 1, deviceIds: [devices[0]] });
		const counts = await outbox.counts(campaignId);
		expect(counts.get(devices[0])?.pending).toBe(2);
		expect(counts.get(devices[1])?.pending).toBe(1);
	});

	it('claims one message per device, only for leases held at that epoch, each message once', async () => {
		await outbox.enqueue(batch(null, [[0, '+15550000010'], [0, '+15550000011']]));
		const stale = await outbox.claim('node-a', [{ deviceId: devices[0], epoch: 2 }]);
		expect(stale).toEqual([]);
		const notMine = await outbox.claim('node-a', [{ deviceId: devices[1], epoch: 1 }]);
		expect(notMine).toEqual([]);
		const [a, b] = await Promise.all([outbox.claim('node-a', [{ deviceId: devices[0], epoch: 3 }]), outbox.claim('node-a', [{ deviceId: devices[0], epoch: 3 }])]);
		expect(a).toHaveLength(1);
		expect(b).toHaveLength(1);
		expect(a[0].id).not.toBe(b[0].id);
		expect(a[0].waMessageId).toMatch(/^3EB0[0-9A-F]{18}$/);
		expect(a[0].epoch).toBe(3);
	});

	it('a receipt that arrives before the outcome is kept; outcomes and receipts only move forward', async () => {
		await db.execute(`update messages set status = 'cancelled' where status = 'pending'`);
		await outbox.enqueue(batch(null, [[0, '+15550000020']]));
		const [message] = await outbox.claim('node-a', [{ deviceId: devices[0], epoch: 3 }]);
		await outbox.receipts([{ waMessageId: message.waMessageId, status: 'delivered' }]);
		await outbox.record([{ id: message.id, status: 'sent', at: new Date().toISOString() }]);
		const [row] = await db.execute<{ status: string; sent_at: Date | null }[]>(`select status, sent_at from messages where id = ?`, [message.id]);
		expect(row.status).toBe('delivered');
		expect(row.sent_at).not.toBeNull();
		await outbox.receipts([{ waMessageId: message.waMessageId, status: 'read' }]);
		await outbox.receipts([{ waMessageId: message.waMessageId, status: 'delivered' }]);
		const [after] = await db.execute<{ status: string }[]>(`select status from messages where id = ?`, [message.id]);
		expect(after.status).toBe('read');
	});

	it("a new holder fails what the old one left sending as interrupted; a later receipt settles it", async () => {
		await db.execute(`update messages set status = 'cancelled' where status in ('pending', 'sending')`);
		await outbox.enqueue(batch(null, [[0, '+15550000030']]));
		const [left] = await outbox.claim('node-a', [{ deviceId: devices[0], epoch: 3 }]);
		await outbox.enqueue(batch(null, [[0, '+15550000031']]));
		await db.execute(`update device_leases set node_id = 'node-c', epoch = 4 where device_id = ?`, [devices[0]]);
		await outbox.failInterrupted('node-c', [{ deviceId: devices[0], epoch: 4 }]);
		const [failed] = await db.execute<{ status: string; error: string }[]>(`select status, error from messages where id = ?`, [left.id]);
		expect(failed).toEqual({ status: 'failed', error: expect.stringMatching(/^interrupted/) });
		const [other] = await db.execute<{ status: string }[]>(`select status from messages where recipient = '+15550000031'`);
		expect(other.status).toBe('pending');
		await outbox.receipts([{ waMessageId: left.waMessageId, status: 'delivered' }]);
		const [settled] = await db.execute<{ status: string; error: string | null }[]>(`select status, error from messages where id = ?`, [left.id]);
		expect(settled).toEqual({ status: 'delivered', error: null });
	});

	it('expires pending messages past their time with the reason, and deletes none', async () => {
		const before = await db.execute<{ n: number }[]>(`select count(*)::int as n from messages`);
		await db.execute(`update messages set expires_at = now() - interval '1 second' where status = 'pending'`);
		await outbox.expire();
		const rows = await db.execute<{ status: string; error: string }[]>(`select status, error from messages where recipient = '+15550000031'`);
		expect(rows[0]).toEqual({ status: 'failed', error: expect.stringMatching(/^expired/) });
		const after = await db.execute<{ n: number }[]>(`select count(*)::int as n from messages`);
		expect(after[0].n).toBe(before[0].n);
	});

	it('a message that never left goes back to pending; retry-failed queues failures again but not numbers without WhatsApp', async () => {
		const campaignId = randomUUID();
		await db.execute(`insert into campaigns (id, user_id, title, scheduled_at, message, created_at, updated_at) values (?, ?, 'R', now(), 'x', now(), now())`, [campaignId, userId]);
		await db.execute(`update device_leases set node_id = 'node-a', epoch = 5 where device_id = ?`, [devices[0]]);
		await outbox.enqueue(batch(campaignId, [[0, '+15550000040']]));
		let [m] = await outbox.claim('node-a', [{ deviceId: devices[0], epoch: 5 }]);
		await outbox.record([{ id: m.id, status: 'pending', error: 'Connection Closed', at: new Date().toISOString() }]);
		[m] = await outbox.claim('node-a', [{ deviceId: devices[0], epoch: 5 }]);
		expect(m.recipient).toBe('+15550000040');
		await outbox.record([{ id: m.id, status: 'failed', error: 'WhatsApp refused the message: boom', at: new Date().toISOString() }]);
		await outbox.enqueue(batch(campaignId, [[0, '+15550000041']]));
		const [n] = await outbox.claim('node-a', [{ deviceId: devices[0], epoch: 5 }]);
		await outbox.record([{ id: n.id, status: 'failed', error: 'not on WhatsApp: +15550000041 has no WhatsApp account', at: new Date().toISOString() }]);
		expect(await outbox.retryFailed(campaignId)).toEqual({ count: 1, deviceIds: [devices[0]] });
		expect((await outbox.counts(campaignId)).get(devices[0])).toMatchObject({ pending: 1, failed: 1, shouldSend: 2 });
	});
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database, type SqlConnection } from '../../../mixins/orm/database.ts';
import type { MessageSource, NewMessage } from '../../../services/messages/messages.params.ts';
import { Outbox, waMessageIdOf, type Batch } from '../../../services/messages/outbox.ts';
import { pgliteDatabase, postgresDatabase, postgresReachable, type TestDatabase } from '../../helpers/databases.ts';
import { FLEETCAST_SCHEMA } from '../../../migrations/schema.ts';

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
		database = await openDatabase({ schema: FLEETCAST_SCHEMA, databaseUrl: testDb.databaseUrl, dataDir: testDb.dataDir });
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

	/** A source record's batch: `phones` keyed by phone, as a campaign keys them. */
	const enqueue = (sourceId: string, phones: [number, string][], source: MessageSource = 'campaign') => {
		const batch: Batch = { userId, source, sourceId, notBefore: new Date(Date.now() - 1000), expiresAt: null };
		const messages: NewMessage[] = phones.map(([device, phone]) => ({ key: phone, deviceId: devices[device], leadId: null, recipient: phone, body: 'Hi' }));
		return outbox.enqueue(batch, messages);
	};
	const campaign = (sourceId: string) => ({ source: 'campaign' as const, sourceId });

	it('enqueues once per source record and key, however often the source runs; another source keeps its own keys', async () => {
		const campaignId = randomUUID();
		const first = await enqueue(campaignId, [[0, '+15550000001'], [1, '+15550000002']]);
		const again = await enqueue(campaignId, [[0, '+15550000001'], [1, '+15550000002'], [0, '+15550000003']]);
		expect(first.created).toBe(2);
		expect(again).toEqual({ created: 1, deviceIds: [devices[0]], ids: { '+15550000003': expect.any(String) } });
		const counts = await outbox.counts(campaign(campaignId));
		expect(counts.get(devices[0])?.pending).toBe(2);
		expect(counts.get(devices[1])?.pending).toBe(1);
		// The same record id and key under another source is another message.
		expect((await enqueue(campaignId, [[0, '+15550000001']], 'sequence')).created).toBe(1);
		expect((await outbox.counts(campaign(campaignId))).get(devices[0])?.shouldSend).toBe(2);
		await db.execute(`update messages set status = 'cancelled' where status = 'pending'`);
	});

	it('claims one message per device, only for leases held at that epoch, each message once', async () => {
		await enqueue(randomUUID(), [[0, '+15550000010'], [0, '+15550000011']]);
		const stale = await outbox.claim('node-a', [{ deviceId: devices[0], epoch: 2 }]);
		expect(stale).toEqual([]);
		const notMine = await outbox.claim('node-a', [{ deviceId: devices[1], epoch: 1 }]);
		expect(notMine).toEqual([]);
		const [a, b] = await Promise.all([outbox.claim('node-a', [{ deviceId: devices[0], epoch: 3 }]), outbox.claim('node-a', [{ deviceId: devices[0], epoch: 3 }])]);
		expect(a).toHaveLength(1);
		expect(b).toHaveLength(1);
		expect(a[0].id).not.toBe(b[0].id);
		expect(waMessageIdOf(a[0].id)).toMatch(/^[0-9A-F]{32}$/);
		expect(a[0]).toMatchObject({ epoch: 3, source: 'campaign', key: a[0].recipient, body: 'Hi', leadId: null });
	});

	it('a receipt that arrives before the outcome is kept; outcomes and receipts only move forward, each settling once', async () => {
		await db.execute(`update messages set status = 'cancelled' where status = 'pending'`);
		const sourceId = randomUUID();
		await enqueue(sourceId, [[0, '+15550000020']]);
		const [message] = await outbox.claim('node-a', [{ deviceId: devices[0], epoch: 3 }]);
		const wa = waMessageIdOf(message.id);
		expect(await outbox.receipts([{ deviceId: devices[0], waMessageId: wa, status: 'delivered' }])).toEqual([
			{ id: message.id, userId, source: 'campaign', sourceId, key: '+15550000020', deviceId: devices[0], leadId: null, status: 'delivered', error: null },
		]);
		expect(await outbox.record('node-a', [{ id: message.id, status: 'sent', at: new Date().toISOString() }])).toEqual([]);
		// Another device's receipt for this id settles nothing.
		expect(await outbox.receipts([{ deviceId: devices[1], waMessageId: wa, status: 'read' }])).toEqual([]);
		const [row] = await db.execute<{ status: string; sent_at: Date | null }[]>(`select status, sent_at from messages where id = ?`, [message.id]);
		expect(row.status).toBe('delivered');
		expect(row.sent_at).not.toBeNull();
		expect((await outbox.receipts([{ deviceId: devices[0], waMessageId: wa, status: 'read' }])).map(m => m.status)).toEqual(['read']);
		expect(await outbox.receipts([{ deviceId: devices[0], waMessageId: wa, status: 'delivered' }, { deviceId: devices[0], waMessageId: wa, status: 'read' }])).toEqual([]);
		// Ids that are not ours (messages sent from the phone itself) are ignored.
		expect(await outbox.receipts([{ deviceId: devices[0], waMessageId: '3EB0ABCDEF0123456789AB', status: 'read' }])).toEqual([]);
		const [after] = await db.execute<{ status: string }[]>(`select status from messages where id = ?`, [message.id]);
		expect(after.status).toBe('read');
	});

	it("a new holder fails what the old one left sending as interrupted; a later receipt settles it", async () => {
		await db.execute(`update messages set status = 'cancelled' where status in ('pending', 'sending')`);
		await enqueue(randomUUID(), [[0, '+15550000030']]);
		const [left] = await outbox.claim('node-a', [{ deviceId: devices[0], epoch: 3 }]);
		await enqueue(randomUUID(), [[0, '+15550000031']]);
		await db.execute(`update device_leases set node_id = 'node-c', epoch = 4 where device_id = ?`, [devices[0]]);
		expect((await outbox.failInterrupted('node-c', [{ deviceId: devices[0], epoch: 4 }])).map(m => [m.id, m.status])).toEqual([[left.id, 'failed']]);
		const [failed] = await db.execute<{ status: string; error: string }[]>(`select status, error from messages where id = ?`, [left.id]);
		expect(failed).toEqual({ status: 'failed', error: expect.stringMatching(/^interrupted/) });
		const [other] = await db.execute<{ status: string }[]>(`select status from messages where recipient = '+15550000031'`);
		expect(other.status).toBe('pending');
		await outbox.receipts([{ deviceId: devices[0], waMessageId: waMessageIdOf(left.id), status: 'delivered' }]);
		const [settled] = await db.execute<{ status: string; error: string | null }[]>(`select status, error from messages where id = ?`, [left.id]);
		expect(settled).toEqual({ status: 'delivered', error: null });
	});

	it('a late receipt for a message sent under an older WhatsApp id still settles it, on its own device only', async () => {
		await enqueue(randomUUID(), [[0, '+15550000035']]);
		const [row] = await db.execute<{ id: string }[]>(`select id from messages where recipient = '+15550000035'`);
		const legacy = '3EB0C0FFEE0123456789AB';
		await db.execute(`update messages set status = 'sent', sent_at = now(), legacy_wa_message_id = ? where id = ?`, [legacy, row.id]);
		expect(await outbox.receipts([{ deviceId: devices[1], waMessageId: legacy, status: 'read' }])).toEqual([]);
		expect((await outbox.receipts([{ deviceId: devices[0], waMessageId: legacy, status: 'delivered' }])).map(m => [m.id, m.status])).toEqual([[row.id, 'delivered']]);
		expect((await outbox.receipts([{ deviceId: devices[0], waMessageId: legacy, status: 'read' }])).map(m => [m.id, m.status])).toEqual([[row.id, 'read']]);
	});

	it('expires pending messages past their time with the reason, and deletes none', async () => {
		const before = await db.execute<{ n: number }[]>(`select count(*)::int as n from messages`);
		await db.execute(`update messages set expires_at = now() - interval '1 second' where status = 'pending'`);
		expect((await outbox.expire()).map(m => m.status)).toEqual(['failed']);
		const rows = await db.execute<{ status: string; error: string }[]>(`select status, error from messages where recipient = '+15550000031'`);
		expect(rows[0]).toEqual({ status: 'failed', error: expect.stringMatching(/^expired/) });
		const after = await db.execute<{ n: number }[]>(`select count(*)::int as n from messages`);
		expect(after[0].n).toBe(before[0].n);
	});

	it('a message that never left goes back to pending; retry-failed queues failures again but not numbers without WhatsApp', async () => {
		const campaignId = randomUUID();
		await db.execute(`update device_leases set node_id = 'node-a', epoch = 5 where device_id = ?`, [devices[0]]);
		await enqueue(campaignId, [[0, '+15550000040']]);
		let [m] = await outbox.claim('node-a', [{ deviceId: devices[0], epoch: 5 }]);
		// Back in the queue is no outcome a source acts on.
		expect(await outbox.record('node-a', [{ id: m.id, status: 'pending', error: 'Connection Closed', at: new Date().toISOString() }])).toEqual([]);
		[m] = await outbox.claim('node-a', [{ deviceId: devices[0], epoch: 5 }]);
		expect(m.recipient).toBe('+15550000040');
		// A node that no longer holds the claim cannot record for it.
		expect(await outbox.record('node-b', [{ id: m.id, status: 'pending', error: 'late', at: new Date().toISOString() }])).toEqual([]);
		expect((await db.execute<{ status: string }[]>(`select status from messages where id = ?`, [m.id]))[0].status).toBe('sending');
		await outbox.record('node-a', [{ id: m.id, status: 'failed', error: 'WhatsApp refused the message: boom', at: new Date().toISOString() }]);
		await enqueue(campaignId, [[0, '+15550000041']]);
		const [n] = await outbox.claim('node-a', [{ deviceId: devices[0], epoch: 5 }]);
		await outbox.record('node-a', [{ id: n.id, status: 'failed', error: 'not on WhatsApp: +15550000041 has no WhatsApp account', at: new Date().toISOString() }]);
		expect(await outbox.retryFailed(campaign(campaignId))).toEqual({ count: 1, deviceIds: [devices[0]] });
		expect((await outbox.counts(campaign(campaignId))).get(devices[0])).toMatchObject({ pending: 1, failed: 1, shouldSend: 2 });
		const cancelled = await outbox.cancel({ ...campaign(campaignId), reason: 'cancelled: by the test' });
		expect(cancelled.map(c => [c.key, c.status, c.error])).toEqual([['+15550000040', 'cancelled', 'cancelled: by the test']]);
	});
});

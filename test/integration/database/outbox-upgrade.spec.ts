import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../mixins/orm/database.ts';
import { Outbox } from '../../../services/messages/outbox.ts';
import { postgresDatabase, postgresReachable, type TestDatabase } from '../../helpers/databases.ts';
import { FLEETCAST_SCHEMA } from '../../../migrations/schema.ts';

/** Upgrading a database whose outbox still copied each campaign message keeps every message and its history. */
describe.runIf((await postgresReachable()) || process.env.CI)('upgrading to the outbox for every source', () => {
	let testDb: TestDatabase;
	let database: Database;
	const user = randomUUID();
	const device = randomUUID();
	const campaign = randomUUID();
	const [sentId, pendingId, orphanId] = [randomUUID(), randomUUID(), randomUUID()];

	beforeAll(async () => {
		testDb = await postgresDatabase();
		database = await openDatabase({ schema: FLEETCAST_SCHEMA, databaseUrl: testDb.databaseUrl, dataDir: testDb.dataDir, migrate: false });
		await database.orm.migrator.up({ to: 'Migration20261201091216_UserGreetings' });
		const sql = database.sql;
		await sql.execute(`insert into users (id, email, name, password_hash, time_zone, created_at, updated_at) values (?, 'old@example.com', 'Old', 'x', 'UTC', now(), now())`, [user]);
		await sql.execute(`insert into devices (id, user_id, name, status, created_at, updated_at) values (?, ?, 'Sales 1', 'online', now(), now())`, [device, user]);
		await sql.execute(
			`insert into campaigns (id, user_id, title, scheduled_at, message, status, created_at, updated_at) values (?, ?, 'Spring', now(), 'Hello {name}', 'running', now(), now())`,
			[campaign, user],
		);
		const message = (id: string, campaignId: string | null, recipient: string, wa: string, status: string) =>
			sql.execute(
				`insert into messages (id, user_id, device_id, source, campaign_id, recipient, body, vars, wa_message_id, status, not_before, sent_at, created_at, updated_at)
				 values (?, ?, ?, 'campaign', ?, ?, 'Hello Ana', '{"name":"Ana"}', ?, ?, now(), case when ? = 'sent' then now() end, now(), now())`,
				[id, user, device, campaignId, recipient, wa, status, status],
			);
		await message(sentId, campaign, '+15550001001', '3EB0AAAAAAAAAAAAAAAAAA', 'sent');
		await message(pendingId, campaign, '+15550001002', '3EB0BBBBBBBBBBBBBBBBBB', 'pending');
		await message(orphanId, null, '+15550001003', '3EB0CCCCCCCCCCCCCCCCCC', 'pending');
		await database.orm.migrator.up();
	});
	afterAll(async () => {
		await database?.close();
		await testDb?.drop();
	});

	it("keeps each message under its campaign, keyed by number; a pending one whose campaign is gone is cancelled, not lost", async () => {
		const rows = await database.sql.execute<{ id: string; source: string; source_id: string; source_key: string; body: string | null; status: string; error: string | null }[]>(
			`select id, source, source_id, source_key, body, status, error from messages order by source_key`,
		);
		expect(rows.find(r => r.id === sentId)).toMatchObject({ source: 'campaign', source_id: campaign, source_key: '+15550001001', body: null, status: 'sent' });
		expect(rows.find(r => r.id === pendingId)).toMatchObject({ source: 'campaign', source_id: campaign, source_key: '+15550001002', status: 'pending' });
		expect(rows.find(r => r.id === orphanId)).toMatchObject({ status: 'cancelled', error: 'cancelled: its campaign was deleted' });
	});

	it('a receipt that arrives after the upgrade for a message sent before it still settles it', async () => {
		const settled = await new Outbox(database.sql).receipts([{ deviceId: device, waMessageId: '3EB0AAAAAAAAAAAAAAAAAA', status: 'delivered' }]);
		expect(settled.map(m => [m.id, m.status])).toEqual([[sentId, 'delivered']]);
	});
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlOf } from '../../../mixins/orm.middleware.ts';
import { asSchema } from '../../../mixins/service-schema.ts';
import type { EnqueueParams, EnqueueResult } from '../../../services/messages/messages.params.ts';
import MessagesService from '../../../services/messages/messages.service.ts';
import { postgresDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

const NODES = ['node-a', 'node-b'];

describe('two nodes enqueue the same messages at once: the idempotency key lets one row in per key', () => {
	let db: TestDatabase;
	const nodes: Record<string, TestNode> = {};
	const userId = randomUUID();
	const deviceId = randomUUID();

	beforeAll(async () => {
		db = await postgresDatabase();
		for (const nodeID of NODES) nodes[nodeID] = await startNode({ db, nodeID, transporter: 'Fake', services: [asSchema(MessagesService)] });
		const sql = sqlOf(nodes['node-a'].broker);
		await sql.execute(`insert into users (id, email, name, password_hash, time_zone, created_at, updated_at) values (?, ?, 'Owner', 'x', 'UTC', now(), now())`, [userId, `${userId}@example.com`]);
		await sql.execute(`insert into devices (id, user_id, name, status, created_at, updated_at) values (?, ?, 'Shop', 'online', now(), now())`, [deviceId, userId]);
	});
	afterAll(async () => {
		for (const node of Object.values(nodes)) await node.stop();
		await db?.drop();
	});

	it('keeps one message per (source, record, key) whichever node writes first, and tells each caller what it created', async () => {
		const sourceId = randomUUID();
		const keys = Array.from({ length: 200 }, (_, i) => `enrolment-${i}`);
		// Each call covers an overlapping, shuffled half of the keys, so the nodes collide on most of them.
		const call = (nodeID: string, seed: number) => {
			const mine = keys.filter((_, i) => (i + seed) % 3 !== 0).sort(() => Math.random() - 0.5);
			const params: EnqueueParams = { userId, source: 'sequence', sourceId, messages: mine.map(key => ({ key, deviceId, leadId: null, recipient: '+60123456789', body: key })) };
			return nodes[nodeID].broker.call<EnqueueResult, EnqueueParams>('messages.enqueue', params, { nodeID });
		};
		const results = await Promise.all([0, 1, 2, 3, 4, 5].map(seed => call(NODES[seed % 2], seed)));
		// Every key was created by exactly one call, and no call claims a row it did not create.
		const createdKeys = results.flatMap(r => Object.keys(r.ids));
		expect(createdKeys.sort()).toEqual([...keys].sort());
		expect(results.reduce((n, r) => n + r.created, 0)).toBe(keys.length);

		const rows = await sqlOf(nodes['node-b'].broker).execute<{ id: string; source_key: string; body: string }[]>(`select id, source_key, body from messages where source_id = ?`, [sourceId]);
		expect(rows).toHaveLength(keys.length);
		const idOf = Object.assign({}, ...results.map(r => r.ids));
		for (const row of rows) expect([row.id, row.body]).toEqual([idOf[row.source_key], row.source_key]);
		// The same key under another source record is a message of its own.
		const other = await nodes['node-a'].broker.call<EnqueueResult, EnqueueParams>('messages.enqueue', { userId, source: 'sequence', sourceId: randomUUID(), messages: [{ key: keys[0], deviceId, leadId: null, recipient: '+60123456789', body: 'x' }] });
		expect(other.created).toBe(1);
	});
});

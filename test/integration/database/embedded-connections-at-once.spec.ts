import net from 'node:net';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { EmbeddedPostgresServer } from '../../../mixins/orm/embedded-server.ts';
import { FLEETCAST_SCHEMA } from '../../../migrations/schema.ts';
import { openDatabase, type Database } from '../../../mixins/orm/database.ts';
import { pgliteDatabase, tempDir, type TestDatabase } from '../../helpers/databases.ts';

/**
 * The embedded database is one PGlite session behind a socket that many connections share (the
 * ORM's pool, the lease renewals, migrations). A query in the extended protocol is several
 * messages; another connection's messages must never land between them, nor in its transaction.
 */
describe('the embedded database serves many connections at once without mixing their queries', () => {
	let testDb: TestDatabase;
	let database: Database;
	const clients: pg.Client[] = [];

	beforeAll(async () => {
		testDb = pgliteDatabase();
		database = await openDatabase({ schema: FLEETCAST_SCHEMA, dataDir: testDb.dataDir });
		for (let i = 0; i < 8; i++) {
			const client = new pg.Client(database.connection);
			await client.connect();
			clients.push(client);
		}
	});
	afterAll(async () => {
		for (const client of clients) await client.end().catch(() => undefined);
		await database?.close();
		await testDb?.drop();
	});

	it('answers each connection its own query, with its own parameters, however they arrive', async () => {
		await clients[0].query('create table embedded_notes (id serial primary key, body jsonb, n int, t text)');
		// Writes: each one makes PGlite wait for its files, when another connection's messages could slip in.
		const shapes = [
			(c: pg.Client, n: number) => c.query<{ v: string }>('insert into embedded_notes (body) values ($1::jsonb) returning body ->> $2 as v', [JSON.stringify({ k: `json ${n}` }), 'k']).then(r => [r.rows[0].v, `json ${n}`]),
			(c: pg.Client, n: number) => c.query<{ v: number }>('insert into embedded_notes (n) values ($1::int + $2::int) returning n as v', [n, 1]).then(r => [r.rows[0].v, n + 1]),
			(c: pg.Client, n: number) => c.query<{ v: string }>('insert into embedded_notes (t) values (upper($1::text)) returning t as v', [`text ${n}`]).then(r => [r.rows[0].v, `TEXT ${n}`]),
			(c: pg.Client, n: number) => c.query<{ v: string }>('select $3::text || $1::text || $2::text as v', ['a', `${n}`, 'z']).then(r => [r.rows[0].v, `za${n}`]),
			// An answer larger than a socket takes at once (an image's bytes).
			(c: pg.Client, n: number) => c.query<{ v: string }>('select repeat($1::text, 200000) || $2::text as v', ['ab', `${n}`]).then(r => [r.rows[0].v.length + r.rows[0].v.slice(-6), 400_000 + `${n}`.length + `${'ab'.repeat(3)}${n}`.slice(-6)]),
			// A batch as the outbox sends one: a parameter far larger than one socket read.
			(c: pg.Client, n: number) =>
				c.query<{ v: number }>('select sum((r ->> $2)::int)::int as v from jsonb_array_elements($1::jsonb) r', [JSON.stringify(Array.from({ length: 5_000 }, (_, i) => ({ i, pad: 'x'.repeat(40) }))), 'i']).then(r => [r.rows[0].v + n, 12_497_500 + n]),
		];
		const answers = await Promise.all(Array.from({ length: 1000 }, (_, n) => shapes[n % shapes.length](clients[n % clients.length], n).catch(err => [err.message, 'an answer'])));
		expect(answers.filter(([got, wanted]) => got !== wanted)).toEqual([]);
	});

	it('keeps one connection’s transaction to itself: the others wait for its end, and see only what it committed', async () => {
		await clients[0].query('create table if not exists embedded_counter (n int)');
		await clients[0].query('begin');
		await clients[0].query('insert into embedded_counter values (1)');
		const other = clients[1].query<{ n: number }>('select count(*)::int as n from embedded_counter');
		await new Promise(resolve => setTimeout(resolve, 100));
		await clients[0].query('rollback');
		expect((await other).rows[0].n).toBe(0);
	});

	it('rolls back the transaction of a connection that goes away in the middle of it', async () => {
		const leaving = new pg.Client(database.connection);
		await leaving.connect();
		await leaving.query('begin');
		await leaving.query('insert into embedded_counter values (2)');
		await leaving.end();
		expect((await clients[1].query<{ n: number }>('select count(*)::int as n from embedded_counter')).rows[0].n).toBe(0);
	});
});

describe('the embedded server keeps going when a client misbehaves', () => {
	let db: PGlite;
	let server: EmbeddedPostgresServer;
	let dir: string;
	const errors: string[] = [];
	const connection = () => ({ host: dir, port: 5432, user: 'postgres', database: 'postgres' });

	beforeAll(async () => {
		dir = tempDir();
		db = await PGlite.create();
		server = new EmbeddedPostgresServer(db, path.join(dir, '.s.PGSQL.5432'), { idleInTransactionMs: 300, onError: err => void errors.push(err.message) });
		await server.start();
	});
	afterAll(async () => {
		await server?.stop();
		await db?.close();
	});

	it('closes a connection that sends a message with an impossible length, and serves the next one', async () => {
		const raw = net.connect(path.join(dir, '.s.PGSQL.5432'));
		await new Promise(resolve => raw.once('connect', resolve));
		const closed = new Promise(resolve => raw.once('close', resolve));
		raw.write(Buffer.from([0, 0, 0, 0, 0x04, 0xd2, 0x16, 0x2f]));
		await closed;
		const client = new pg.Client(connection());
		await client.connect();
		expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
		await client.end();
	});

	it('ends a transaction whose connection keeps the others waiting while it sends nothing', async () => {
		const idle = new pg.Client(connection());
		idle.on('error', () => undefined);
		const other = new pg.Client(connection());
		await idle.connect();
		await other.connect();
		await idle.query('begin');
		const answer = await other.query('select 2 as two');
		expect(answer.rows).toEqual([{ two: 2 }]);
		expect(errors).toEqual([expect.stringMatching(/kept a transaction open for 300 ms while others waited/)]);
		expect(db.isInTransaction()).toBe(false);
		await other.end();
	});
});

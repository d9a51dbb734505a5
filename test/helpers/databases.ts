import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/** Where the real PostgreSQL for tests is; `.ci/run` starts it when it is down. */
export const TEST_POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
	name: 'pglite' | 'postgres';
	/** Undefined for the embedded database. */
	databaseUrl?: string;
	dataDir: string;
	drop(): Promise<void>;
}

let reachable: Promise<boolean> | undefined;

export function postgresReachable(): Promise<boolean> {
	reachable ??= (async () => {
		const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 2000 });
		try {
			await client.connect();
			await client.end();
			return true;
		} catch {
			return false;
		}
	})();
	return reachable;
}

export function tempDir(prefix = 'fc-test-'): string {
	return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A fresh embedded database in its own temporary folder. */
export function pgliteDatabase(): TestDatabase {
	const dataDir = tempDir();
	return { name: 'pglite', dataDir, drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
}

/** A fresh, empty database on the real PostgreSQL server, dropped afterwards. */
export async function postgresDatabase(): Promise<TestDatabase> {
	const dbName = `fc_test_${randomBytes(6).toString('hex')}`;
	const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
	await admin.connect();
	await admin.query(`create database ${dbName}`);
	await admin.end();
	const url = new URL(TEST_POSTGRES_URL);
	url.pathname = `/${dbName}`;
	const dataDir = tempDir();
	return {
		name: 'postgres',
		databaseUrl: url.toString(),
		dataDir,
		async drop() {
			const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
			await client.connect();
			await client.query(`drop database if exists ${dbName} with (force)`);
			await client.end();
			fs.rmSync(dataDir, { recursive: true, force: true });
		},
	};
}

/** PGlite always; real PostgreSQL too when it answers (in CI it must). */
export async function databaseTargets(): Promise<TestDatabase['name'][]> {
	if (await postgresReachable()) return ['pglite', 'postgres'];
	if (process.env.CI) throw new Error(`PostgreSQL is not reachable at ${TEST_POSTGRES_URL}; .ci/run should have started it.`);
	return ['pglite'];
}

export function createDatabase(name: TestDatabase['name']): Promise<TestDatabase> {
	return name === 'pglite' ? Promise.resolve(pgliteDatabase()) : postgresDatabase();
}

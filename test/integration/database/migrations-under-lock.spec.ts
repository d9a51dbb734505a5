import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../mixins/orm/database.ts';
import { migrationsList } from '../../../migrations/index.ts';
import { postgresDatabase, postgresReachable, type TestDatabase } from '../../helpers/databases.ts';
import { FLEETCAST_SCHEMA } from '../../../migrations/schema.ts';

describe.runIf((await postgresReachable()) || process.env.CI)('migrations when many nodes start at once', () => {
	let db: TestDatabase;
	beforeAll(async () => {
		db = await postgresDatabase();
	});
	afterAll(async () => {
		await db?.drop();
	});

	it('applies each migration exactly once while five nodes open the same empty database together', async () => {
		const opened = await Promise.all(Array.from({ length: 5 }, () => openDatabase({ schema: FLEETCAST_SCHEMA, databaseUrl: db.databaseUrl, dataDir: db.dataDir })));
		try {
			const appliedByAnyone = opened.flatMap(d => d.applied);
			expect(appliedByAnyone.sort()).toEqual(migrationsList.map(m => m.name).sort());
			const rows = await opened[0].orm.em.getConnection().execute<{ name: string }[]>('select name from mikro_orm_migrations');
			expect(rows.map(r => r.name).sort()).toEqual(migrationsList.map(m => m.name).sort());
			for (const d of opened) expect(await d.isReady()).toBe(true);
		} finally {
			await Promise.all(opened.map(d => d.close()));
		}
	});

	it('reverts with down and re-applies with up', async () => {
		const opened = await openDatabase({ schema: FLEETCAST_SCHEMA, databaseUrl: db.databaseUrl, dataDir: db.dataDir, migrate: false });
		try {
			const reverted = await opened.orm.migrator.down({ to: 0 });
			expect(reverted.length).toBe(migrationsList.length);
			const tables = await opened.orm.em.getConnection().execute(`select count(*)::int as n from information_schema.tables where table_name = 'users'`);
			expect(tables[0].n).toBe(0);
			expect((await opened.orm.migrator.up()).length).toBe(migrationsList.length);
		} finally {
			await opened.close();
		}
	});
});

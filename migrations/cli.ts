/**
 * `npm run migrate` applies pending migrations (under the same advisory lock as start-up);
 * `npm run migration:create -- <name>` writes a migration for the entity changes since the snapshot;
 * `npm run migrate -- down` reverts the last one.
 */
import { readEnv } from '../mixins/env-settings.mixin.ts';
import { migrateUnderLock, openDatabase } from '../mixins/orm/database.ts';
import { FLEETCAST_SCHEMA } from './schema.ts';

const [command = 'up', name] = process.argv.slice(2);
const env = readEnv();
const db = await openDatabase({ schema: FLEETCAST_SCHEMA, databaseUrl: env.databaseUrl, dataDir: env.dataDir, migrate: false });
try {
	if (command === 'up') {
		const applied = await migrateUnderLock(db.orm, db.connection);
		console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Nothing to apply.');
	} else if (command === 'down') {
		const reverted = await db.orm.migrator.down();
		console.log(reverted.length ? `Reverted: ${reverted.map(m => m.name).join(', ')}` : 'Nothing to revert.');
	} else if (command === 'create') {
		const result = await db.orm.migrator.create(undefined, false, false, name);
		console.log(result.fileName ? `Wrote migrations/${result.fileName}; add it to migrations/index.ts.` : 'No changes.');
	} else {
		throw new Error(`Unknown command "${command}": use up, down or create.`);
	}
} finally {
	await db.close();
}

import { RequestContext } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context, Middleware, ServiceBroker } from 'moleculer';
import { openDatabase, type Database, type DatabaseOptions, type SqlPool } from './orm/database.ts';

const databases = new WeakMap<ServiceBroker, Database>();

/** The broker's database, open from the `starting` hook until `stopped`. */
export function databaseOf(broker: ServiceBroker): Database {
	const db = databases.get(broker);
	if (!db) throw new Error('The database is not open: is OrmMiddleware in the broker middlewares?');
	return db;
}

/** Raw SQL on the broker's database, for bulk statements the ORM would split into rows. */
export function sqlOf(broker: ServiceBroker): SqlPool {
	return databaseOf(broker).sql;
}

/** The EntityManager fork of the action or event being handled. */
export function emOf(ctx: Context): EntityManager {
	const em = (ctx.locals as { em?: EntityManager }).em;
	if (!em) throw new Error('No EntityManager on this context.');
	return em;
}

/**
 * Opens the database before services start (applying migrations under the advisory lock) and
 * gives every local action and event its own EntityManager fork, so no identity map is shared.
 */
export function OrmMiddleware(options: DatabaseOptions): Middleware {
	let db: Database | undefined;
	const inFork = (next: (ctx: Context) => unknown) =>
		function ormFork(ctx: Context) {
			if (!db) return next(ctx);
			return RequestContext.create(db.orm.em, () => {
				(ctx.locals as { em?: EntityManager }).em = RequestContext.getEntityManager() as EntityManager;
				return next(ctx);
			});
		};
	return {
		name: 'Orm',
		async starting(broker) {
			db = await openDatabase(options);
			databases.set(broker, db);
			broker.logger.info(db.embedded ? `Embedded PGlite database in ${options.dataDir}` : 'Connected to PostgreSQL');
			if (db.applied.length) broker.logger.info(`Applied migrations: ${db.applied.join(', ')}`);
		},
		localAction: next => inFork(next as (ctx: Context) => unknown) as never,
		localEvent: next => inFork(next as (ctx: Context) => unknown) as never,
		async stopped(broker) {
			databases.delete(broker);
			await db?.close();
			db = undefined;
		},
	};
}

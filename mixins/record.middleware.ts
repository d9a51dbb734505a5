import type { EntityName } from '@mikro-orm/core';
import { Errors, type Context, type Middleware } from 'moleculer';
import { userOf } from './auth.middleware.ts';
import { emOf } from './orm.middleware.ts';

/**
 * The `record` key of an action: load the caller's own row named by a parameter before the
 * handler runs, or answer 404 (the same for a row of another user as for none at all).
 */
export interface RecordKey {
	entity: EntityName<any>;
	/** The 404's message, e.g. "No such device." */
	notFound: string;
	/** The parameter holding the id; `id` by default. */
	param?: string;
	/** For an internal call made on a user's behalf: the parameter naming that user. By default, the caller. */
	ownerParam?: string;
	/** Relations or lazy properties to load with it. */
	populate?: string[];
}

/** The row the `record` key loaded for this call. */
export function recordOf<T>(ctx: Context): T {
	const record = (ctx.locals as { record?: T }).record;
	if (!record) throw new Error('This action declares no `record` key.');
	return record;
}

/** Loads the record an action declares, in the call's EntityManager fork, scoped to the calling user. */
export function RecordMiddleware(): Middleware {
	return {
		name: 'Record',
		localAction(next, action) {
			const key = (action as { record?: RecordKey }).record;
			if (!key) return next;
			return async function loadRecord(this: unknown, ctx: Context) {
				const params = ctx.params as Record<string, unknown>;
				const owner = key.ownerParam ? params[key.ownerParam] : userOf(ctx).id;
				const record = await emOf(ctx).findOne(key.entity, { id: params[key.param ?? 'id'], user: owner } as never, { populate: (key.populate ?? []) as never });
				if (!record) throw new Errors.MoleculerClientError(key.notFound, 404, 'NOT_FOUND');
				(ctx.locals as { record?: unknown }).record = record;
				return next.call(this as never, ctx);
			};
		},
	};
}

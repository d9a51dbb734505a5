import { Errors, type Context, type Middleware } from 'moleculer';
import type { ActionKeys } from './service-schema.ts';

/** Who is calling: set by the gateway from a session cookie or an API token, or by a trusted caller. */
export interface AuthUser {
	id: string;
}

export interface CallerMeta {
	user?: AuthUser;
	/** The client's address as the gateway saw it. */
	ip?: string;
	userAgent?: string;
	/** Hash of the session in use, when authenticated by cookie. */
	sessionHash?: string;
}

/** The authenticated user of this call; actions with `auth: 'user'` never run without one. */
export function userOf(ctx: Context): AuthUser {
	const user = (ctx.meta as CallerMeta).user;
	if (!user) throw new Errors.MoleculerClientError('Sign in first.', 401, 'UNAUTHENTICATED');
	return user;
}

/** Rejects calls to actions that need a user (the default) when the call carries none. */
export function AuthMiddleware(): Middleware {
	return {
		name: 'Auth',
		localAction(next, action) {
			if ((action as ActionKeys).auth === 'public') return next;
			return function requireUser(ctx: Context) {
				userOf(ctx);
				return next.call(this, ctx);
			};
		},
	};
}

import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { isSupportedCountry } from 'libphonenumber-js';
import { Errors, type Context } from 'moleculer';
import type { FleetServiceSchema } from '../../mixins/service-schema.ts';
import { userOf, type CallerMeta } from '../../mixins/auth.middleware.ts';
import { EnvSettingsMixin } from '../../mixins/env-settings.mixin.ts';
import { emOf } from '../../mixins/orm.middleware.ts';
import { createFailureBackoff, createRateLimiter, type FailureBackoff, type RateLimiter, type RateLimitResult } from '../shared/rate-limit.ts';
import { RedisMixin, type RedisLocals } from '../../mixins/redis.mixin.ts';
import { ApiToken } from './api-token.entity.ts';
import { changedGreetings } from './greeting-settings.ts';
import { hashPassword, verifyNothing, verifyPassword } from './password.ts';
import { canonicalTimeZone, newApiToken, newSessionToken, sha256 } from './secrets.ts';
import { Session } from './session.entity.ts';
import { User } from './user.entity.ts';
import * as P from './users.params.ts';
import * as E from './users.events.ts';

const { MoleculerClientError, ValidationError } = Errors;

/** What an action may ask the gateway to do with the session cookie. */
interface SessionMeta extends CallerMeta {
	$session?: { token: string; expiresAt: string } | null;
	$statusCode?: number;
}

interface Methods {
	startSession(ctx: Context<unknown, SessionMeta>, user: User): Promise<void>;
	checkLoginRate(email: string, ip: string | undefined): Promise<void>;
	forgetCachedUser(userId: string): Promise<void>;
}

interface Settings {
	sessionTtlDays: number;
	loginMaxPerEmail: number;
	loginMaxPerAddress: number;
	loginFreeFailures: number;
	registerMaxPerAddress: number;
}

interface Locals extends RedisLocals {
	/** Failed sign-ins of one email from every address together. */
	loginFailuresPerEmail: RateLimiter;
	loginPerAddress: RateLimiter;
	/** Failed sign-ins of one email from one address: each one past the free ones doubles the wait. */
	loginFailures: FailureBackoff;
	registrationsPerAddress: RateLimiter;
	sweepTimer?: NodeJS.Timeout;
}

const LOGIN_WINDOW_MS = 15 * 60_000;

function tooMany(what: string, refused: RateLimitResult): Error {
	const wait = refused.retryAfterSeconds < 60 ? `${refused.retryAfterSeconds} s` : `${Math.ceil(refused.retryAfterSeconds / 60)} min`;
	return new MoleculerClientError(`Too many ${what}. Try again in ${wait}.`, 429, 'TOO_MANY_ATTEMPTS', { retryAfterSeconds: refused.retryAfterSeconds });
}

const TOKEN_TOUCH_INTERVAL_MS = 60_000;
const ME_CACHE_KEYS = ['#user.id'];

function toUserDto(user: User): P.UserDto {
	return {
		id: user.id,
		email: user.email,
		name: user.name,
		timeZone: user.timeZone,
		country: user.country ?? null,
		greetings: user.greetings ?? {},
		readReceipts: user.readReceipts,
		typing: user.typing,
		createdAt: user.createdAt.toISOString(),
	};
}

function toTokenDto(token: ApiToken): P.ApiTokenDto {
	return {
		id: token.id,
		name: token.name,
		prefix: token.prefix,
		createdAt: token.createdAt.toISOString(),
		lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
		expiresAt: token.expiresAt?.toISOString() ?? null,
	};
}

function zoneOrError(zone: string): string {
	const canonical = canonicalTimeZone(zone);
	if (!canonical) {
		throw new ValidationError('Unknown time zone.', 'VALIDATION_ERROR', [
			{ field: 'timeZone', message: `"${zone}" is not an IANA time zone such as "Asia/Kuala_Lumpur".`, type: 'timeZone' },
		]);
	}
	return canonical;
}

function countryOrError(code: string | null): string | null {
	if (code === null || code === '') return null;
	const upper = code.toUpperCase();
	if (!isSupportedCountry(upper)) {
		throw new ValidationError('Unknown country.', 'VALIDATION_ERROR', [
			{ field: 'country', message: `"${code}" is not a country code we know; use two letters such as MY, SG or ID.`, type: 'country' },
		]);
	}
	return upper;
}

const UsersService: FleetServiceSchema<Settings, Methods, Locals> = {
	name: 'users',

	mixins: [
		RedisMixin(),
		EnvSettingsMixin<Settings>(env => ({
			sessionTtlDays: env.sessionTtlDays,
			loginMaxPerEmail: env.loginMaxPerEmail,
			loginMaxPerAddress: env.loginMaxPerAddress,
			loginFreeFailures: env.loginFreeFailures,
			registerMaxPerAddress: env.registerMaxPerAddress,
		})),
	],

	settings: {} as Settings,

	actions: {
		/** Creates an account and signs it in. 409 when the email is taken. */
		register: {
			rest: 'POST /auth/register',
			auth: 'public',
			sameOrigin: true,
			params: P.registerParams,
			async handler(ctx: Context<P.RegisterParams, SessionMeta>) {
				const { email, name, password } = ctx.params;
				if (ctx.meta.ip) {
					const allowed = await this.registrationsPerAddress.hit(ctx.meta.ip);
					if (!allowed.allowed) throw tooMany('accounts made from this address', allowed);
				}
				const timeZone = zoneOrError(ctx.params.timeZone ?? 'UTC');
				const em = emOf(ctx);
				const user = em.create(User, { email: email.toLowerCase(), name, timeZone, passwordHash: await hashPassword(password) });
				try {
					await em.flush();
				} catch (err) {
					if (err instanceof UniqueConstraintViolationException) {
						throw new MoleculerClientError('An account with this email already exists.', 409, 'EMAIL_TAKEN');
					}
					throw err;
				}
				await this.startSession(ctx, user);
				ctx.meta.$statusCode = 201;
				return { user: toUserDto(user) };
			},
		},

		/**
		 * Signs in with email and password. Failures of one email from one address back off (so a
		 * stranger cannot lock the owner out from elsewhere); looser limits per email and per address.
		 */
		login: {
			rest: 'POST /auth/login',
			auth: 'public',
			sameOrigin: true,
			params: P.loginParams,
			async handler(ctx: Context<P.LoginParams, SessionMeta>) {
				const email = ctx.params.email.toLowerCase();
				const attempt = `${email}|${ctx.meta.ip ?? ''}`;
				await this.checkLoginRate(email, ctx.meta.ip);
				const user = await emOf(ctx).findOne(User, { email });
				const ok = user ? await verifyPassword(ctx.params.password, user.passwordHash) : await verifyNothing(ctx.params.password);
				if (!user || !ok) {
					await this.loginFailuresPerEmail.hit(email);
					throw new MoleculerClientError('Wrong email or password.', 401, 'BAD_CREDENTIALS');
				}
				await this.loginFailures.reset(attempt);
				await this.startSession(ctx, user);
				return { user: toUserDto(user) };
			},
		},

		/** Ends the session the call came with and clears the cookie. */
		logout: {
			rest: 'POST /auth/logout',
			async handler(ctx: Context<unknown, SessionMeta>) {
				const user = userOf(ctx);
				const sessionHash = ctx.meta.sessionHash;
				if (sessionHash) {
					await emOf(ctx).nativeDelete(Session, { tokenHash: sessionHash, user: user.id });
					ctx.broadcast<E.UserSessionEnded>(E.USER_SESSION_ENDED, { userId: user.id, sessionHash });
				}
				ctx.meta.$session = null;
				ctx.meta.$statusCode = 204;
				return null;
			},
		},

		/** The signed-in user. */
		me: {
			rest: 'GET /me',
			cache: { keys: ME_CACHE_KEYS },
			async handler(ctx: Context) {
				const user = await emOf(ctx).findOne(User, { id: userOf(ctx).id });
				if (!user) throw new MoleculerClientError('This account no longer exists.', 401, 'UNAUTHENTICATED');
				return toUserDto(user);
			},
		},

		/** Changes tenant settings and tells every open tab of this user. */
		updateSettings: {
			rest: 'PATCH /me/settings',
			params: P.settingsParams,
			async handler(ctx: Context<P.SettingsParams>) {
				const em = emOf(ctx);
				const user = await em.findOneOrFail(User, { id: userOf(ctx).id });
				if (ctx.params.timeZone !== undefined) user.timeZone = zoneOrError(ctx.params.timeZone);
				if (ctx.params.country !== undefined) user.country = countryOrError(ctx.params.country);
				if (ctx.params.greetings !== undefined) user.greetings = changedGreetings(user.greetings, ctx.params.greetings);
				if (ctx.params.readReceipts !== undefined) user.readReceipts = ctx.params.readReceipts;
				if (ctx.params.typing !== undefined) user.typing = ctx.params.typing;
				await em.flush();
				await this.forgetCachedUser(user.id);
				const dto = toUserDto(user);
				ctx.broadcast<E.UserSettingsChanged>(E.USER_SETTINGS_CHANGED, {
					userId: user.id,
					timeZone: dto.timeZone,
					country: dto.country,
					name: dto.name,
					greetings: dto.greetings,
					readReceipts: dto.readReceipts,
					typing: dto.typing,
				});
				return dto;
			},
		},

		/** Each tenant's zone and own greeting sets, for the devices that send its messages. Internal. */
		sendingSettings: {
			auth: 'public',
			visibility: 'public',
			params: P.sendingSettingsParams,
			async handler(ctx: Context<P.SendingSettingsParams>): Promise<Record<string, P.SendingSettingsDto>> {
				const users = await emOf(ctx).find(User, { id: { $in: ctx.params.userIds } }, { fields: ['id', 'timeZone', 'greetings', 'typing'] });
				return Object.fromEntries(users.map(u => [u.id, { timeZone: u.timeZone, greetings: u.greetings ?? {}, typing: u.typing }]));
			},
		},

		listTokens: {
			rest: 'GET /tokens',
			async handler(ctx: Context) {
				const tokens = await emOf(ctx).find(ApiToken, { user: userOf(ctx).id, revokedAt: null }, { orderBy: { createdAt: 'desc' } });
				return tokens.map(toTokenDto);
			},
		},

		/** Creates an API token; the answer is the only time the token itself is shown. */
		createToken: {
			rest: 'POST /tokens',
			params: P.createTokenParams,
			async handler(ctx: Context<P.CreateTokenParams, SessionMeta>): Promise<P.CreatedApiTokenDto> {
				const token = newApiToken();
				const { expiresInDays } = ctx.params;
				const em = emOf(ctx);
				const row = em.create(ApiToken, {
					user: userOf(ctx).id,
					name: ctx.params.name,
					prefix: token.slice(0, 10),
					tokenHash: sha256(token),
					expiresAt: expiresInDays ? new Date(Date.now() + expiresInDays * 86_400_000) : null,
				});
				await em.flush();
				ctx.meta.$statusCode = 201;
				return { ...toTokenDto(row), token };
			},
		},

		revokeToken: {
			rest: 'DELETE /tokens/:id',
			params: P.tokenIdParams,
			async handler(ctx: Context<P.TokenIdParams, SessionMeta>) {
				const userId = userOf(ctx).id;
				const em = emOf(ctx);
				const token = await em.findOne(ApiToken, { id: ctx.params.id, user: userId, revokedAt: null });
				if (!token) throw new MoleculerClientError('No such token.', 404, 'NOT_FOUND');
				token.revokedAt = new Date();
				await em.flush();
				ctx.broadcast<E.UserTokenRevoked>(E.USER_TOKEN_REVOKED, { userId, tokenHash: token.tokenHash });
				ctx.meta.$statusCode = 204;
				return null;
			},
		},

		/** Resolves a session cookie or an API token to its user, or null. Internal: no REST route. */
		authenticate: {
			auth: 'public',
			visibility: 'public',
			params: P.authenticateParams,
			async handler(ctx: Context<P.AuthenticateParams>): Promise<P.Authentication | null> {
				const em = emOf(ctx);
				const now = new Date();
				if (ctx.params.sessionToken) {
					const sessionHash = sha256(ctx.params.sessionToken);
					const session = await em.findOne(Session, { tokenHash: sessionHash, expiresAt: { $gt: now } });
					return session ? { userId: session.user.id, sessionHash, expiresAt: session.expiresAt.toISOString() } : null;
				}
				if (ctx.params.apiToken) {
					const tokenHash = sha256(ctx.params.apiToken);
					const token = await em.findOne(ApiToken, { tokenHash, revokedAt: null });
					if (!token || (token.expiresAt && token.expiresAt <= now)) return null;
					if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > TOKEN_TOUCH_INTERVAL_MS) {
						token.lastUsedAt = now;
						await em.flush();
					}
					return { userId: token.user.id, tokenHash, ...(token.expiresAt ? { expiresAt: token.expiresAt.toISOString() } : {}) };
				}
				return null;
			},
		},

		/** Deletes expired sessions (they are already refused); run hourly by each node. */
		sweepSessions: {
			auth: 'public',
			visibility: 'protected',
			async handler(ctx: Context) {
				return emOf(ctx).nativeDelete(Session, { expiresAt: { $lte: new Date() } });
			},
		},
	},

	methods: {
		async startSession(ctx, user) {
			const token = newSessionToken();
			const expiresAt = new Date(Date.now() + this.settings.sessionTtlDays * 86_400_000);
			const em = emOf(ctx);
			em.create(Session, {
				tokenHash: sha256(token),
				user,
				expiresAt,
				ip: ctx.meta.ip?.slice(0, 64) ?? null,
				userAgent: ctx.meta.userAgent?.slice(0, 400) ?? null,
			});
			await em.flush();
			ctx.meta.$session = { token, expiresAt: expiresAt.toISOString() };
		},

		async checkLoginRate(email, ip) {
			// Counted as a failure until it succeeds.
			const pair = await this.loginFailures.attempt(`${email}|${ip ?? ''}`);
			if (!pair.allowed) throw tooMany('failed sign-ins', pair);
			// The looser limit on an email's failures from everywhere spares an address that has had none: the owner's.
			const checks = pair.failuresBefore > 0 ? [this.loginFailuresPerEmail.peek(email)] : [];
			if (ip) checks.push(this.loginPerAddress.hit(ip));
			const refused = (await Promise.all(checks)).find(r => !r.allowed);
			if (refused) throw tooMany('sign-in attempts', refused);
		},

		async forgetCachedUser(userId) {
			const cacher = this.broker.cacher;
			// The cacher's own key builder, so the key matches whatever format it uses (memory or Redis).
			if (!cacher) return;
			const key = cacher.getCacheKey({ name: 'users.me' } as never, { keys: ME_CACHE_KEYS } as never, { params: {}, meta: { user: { id: userId } } } as never);
			await cacher.del(key);
		},
	},

	created() {
		const { loginMaxPerEmail, loginMaxPerAddress, loginFreeFailures, registerMaxPerAddress } = this.settings;
		const redis = this.redis;
		this.loginFailuresPerEmail = createRateLimiter({ name: 'login-email-failures', max: loginMaxPerEmail, windowMs: LOGIN_WINDOW_MS, redis });
		this.loginPerAddress = createRateLimiter({ name: 'login-ip', max: loginMaxPerAddress, windowMs: LOGIN_WINDOW_MS, redis });
		this.loginFailures = createFailureBackoff({ name: 'login-failures', free: loginFreeFailures, baseMs: 1_000, maxMs: LOGIN_WINDOW_MS, windowMs: LOGIN_WINDOW_MS, redis });
		this.registrationsPerAddress = createRateLimiter({ name: 'register-ip', max: registerMaxPerAddress, windowMs: 3_600_000, redis });
	},

	started() {
		// Expired sessions are refused at once; this only keeps the table small.
		this.sweepTimer = setInterval(() => {
			void this.broker.call('users.sweepSessions').catch(err => this.logger.warn('Session sweep failed:', err.message));
		}, 3_600_000);
		this.sweepTimer.unref();
	},

	async stopped() {
		clearInterval(this.sweepTimer);
	},
};

export default UsersService;

import { createHash, timingSafeEqual } from 'node:crypto';
import { App, us_listen_socket_close, us_socket_local_port, type HttpResponse, type TemplatedApp, type us_listen_socket } from 'uws-pack';
import type { Context } from 'moleculer';
import type { DownloadMeta, FleetServiceSchema } from '../../mixins/service-schema.ts';
import type { CallerMeta } from '../../mixins/auth.middleware.ts';
import { EnvSettingsMixin } from '../../mixins/env-settings.mixin.ts';
import { parseProxyTrust, type ProxyTrust } from './client-address.ts';
import { PrometheusText } from './prometheus-text.ts';
import { databaseOf } from '../../mixins/orm.middleware.ts';
import type { Authentication } from '../users/users.params.ts';
import * as UserEvents from '../users/users.events.ts';
import { BROWSER_EVENTS } from './browser-events.ts';
import { CredentialCache, type CredentialKind } from './credentials.ts';
import { HttpError, toHttpError } from './errors.ts';
import { bodyParams, fieldWithNul, resultReply, type BodyLimits } from './bodies.ts';
import { errorReply, json, parseCookies, parseQuery, readBody, readRequest, ResponseState, send, type RequestInfo } from './http.ts';
import { Router, routesFrom, type RouteMatch } from './routes.ts';
import { Sockets, userTopic } from './sockets.ts';
import { StaticFiles } from './static-files.ts';

export const SESSION_COOKIE = 'fc_session';

interface Settings {
	port: number;
	host: string;
	bodyLimits: BodyLimits;
	cookieSecure?: boolean;
	/** METRICS_TOKEN: `/metrics` answers only a request bearing it. */
	metricsToken?: string;
	/** TRUST_PROXY as written: unset, a hop count, or addresses and ranges. */
	trustProxy?: string;
	webDist: string;
	wsMaxBackpressure: number;
}

interface Locals {
	app: TemplatedApp;
	listenSocket?: us_listen_socket;
	/** The port actually bound (differs from settings.port when that is 0). */
	port: number;
	router: Router;
	credentials: CredentialCache;
	sockets: Sockets;
	files: StaticFiles;
	proxyTrust: ProxyTrust;
}

interface Methods {
	handle(res: HttpResponse, info: RequestInfo, state: ResponseState): Promise<void>;
	callAction(info: RequestInfo, state: ResponseState, match: RouteMatch): Promise<void>;
	authenticate(info: RequestInfo): Promise<Authentication | null>;
	refreshRoutes(): void;
	publish(userId: unknown, type: string, payload: unknown): void;
	metricsText(): string;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const API_HEADERS = { 'X-Content-Type-Options': 'nosniff' };
const PAGE_HEADERS = {
	// 'self' covers this origin's ws:// and wss:// too; sockets to any other host are not allowed.
	'Content-Security-Policy': "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
	'Referrer-Policy': 'same-origin',
	'X-Frame-Options': 'DENY',
};

/** Compares two secrets in constant time (by their digests, so their lengths tell nothing either). */
function sameSecret(given: string, expected: string): boolean {
	const digest = (text: string) => createHash('sha256').update(text).digest();
	return timingSafeEqual(digest(given), digest(expected));
}

function credentialOf(info: RequestInfo): { kind: CredentialKind; secret: string } | undefined {
	const bearer = /^Bearer\s+(\S+)$/i.exec(info.headers.authorization ?? '')?.[1];
	if (bearer) return { kind: 'token', secret: bearer };
	const cookie = parseCookies(info.headers.cookie)[SESSION_COOKIE];
	return cookie ? { kind: 'session', secret: cookie } : undefined;
}

function sameOrigin(info: RequestInfo): boolean {
	const origin = info.headers.origin;
	if (!origin) return true;
	try {
		return new URL(origin).host === info.headers.host;
	} catch {
		return false;
	}
}

function isHttps(info: RequestInfo, forced: boolean | undefined): boolean {
	return forced ?? info.forwardedProto === 'https';
}

function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
	return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

/**
 * HTTP and WebSocket edge on uWebSockets.js: REST under /api mapped to actions that declare
 * `rest`, `/ws` for live events, health, metrics and the built SPA. No business logic here.
 */
const GatewayService: FleetServiceSchema<Settings, Methods, Locals> = {
	name: 'gateway',

	mixins: [
		EnvSettingsMixin<Settings>(env => ({
			port: env.port,
			host: env.host,
			bodyLimits: { json: env.bodyLimitBytes, csv: env.importLimitBytes, image: env.mediaUploadLimitBytes },
			cookieSecure: env.cookieSecure,
			trustProxy: env.trustProxy,
			metricsToken: env.metricsToken,
			webDist: env.webDist,
			wsMaxBackpressure: 1024 * 1024,
		})),
	],

	settings: {} as Settings,

	events: {
		...Object.fromEntries(
			BROWSER_EVENTS.map(name => [
				name,
				function forward(this: Locals & Methods, ctx: Context<{ userId?: unknown }>) {
					this.publish(ctx.params?.userId, name, ctx.params);
				},
			]),
		),
		[UserEvents.USER_SESSION_ENDED](ctx: Context<UserEvents.UserSessionEnded>) {
			this.credentials.forget('session', ctx.params.sessionHash);
			this.sockets.closeWhere(ctx.params.userId, s => s.sessionHash === ctx.params.sessionHash);
		},
		[UserEvents.USER_TOKEN_REVOKED](ctx: Context<UserEvents.UserTokenRevoked>) {
			this.credentials.forget('token', ctx.params.tokenHash);
			this.sockets.closeWhere(ctx.params.userId, s => s.tokenHash === ctx.params.tokenHash);
		},
		'$services.changed'() {
			this.refreshRoutes();
		},
	},

	methods: {
		async handle(res, info, state) {
			const { path, method } = info;
			try {
				if (path === '/healthz') return send(state, json(200, { status: 'ok' }));
				if (path === '/readyz') {
					const ready = this.broker.started && (await databaseOf(this.broker).isReady());
					return send(state, json(ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' }));
				}
				if (path === '/metrics') {
					const token = this.settings.metricsToken;
					if (!token) throw new HttpError(404, 'NOT_FOUND', 'Metrics are served only when METRICS_TOKEN is set.');
					if (!sameSecret(/^Bearer\s+(\S+)$/i.exec(info.headers.authorization ?? '')?.[1] ?? '', token)) {
						throw new HttpError(401, 'UNAUTHENTICATED', 'Send the metrics token as a bearer token.', undefined, { 'WWW-Authenticate': 'Bearer' });
					}
					return send(state, { status: 200, body: this.metricsText(), headers: { 'Content-Type': 'text/plain; version=0.0.4' } });
				}
				if (path === '/api' || path.startsWith('/api/')) {
					const match = this.router.match(method, path);
					if (!match) throw new HttpError(404, 'NOT_FOUND', `No API route ${method} ${path}.`);
					if ('allowed' in match) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed here; use ${match.allowed.join(' or ')}.`, undefined, { Allow: match.allowed.join(', ') });
					return await this.callAction(info, state, match);
				}
				if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'Pages are read with GET.');
				const reply = this.files.reply(path, info.headers);
				send(state, { ...reply, headers: { ...reply.headers, ...PAGE_HEADERS } });
			} catch (err) {
				const httpError = toHttpError(err);
				if (httpError.status >= 500 && httpError.status !== 503) this.logger.error(`${method} ${path} failed:`, err);
				// A refused body may still be arriving: close rather than read the rest.
				send(state, errorReply(httpError, httpError.status === 413));
			}
		},

		async callAction(info: RequestInfo, state: ResponseState, { route, params: pathParams }: RouteMatch) {
			const limit = this.settings.bodyLimits[route.body];
			if (BODY_METHODS.has(info.method)) {
				const declared = Number(info.headers['content-length'] ?? 0);
				if (declared > limit) throw new HttpError(413, 'BODY_TOO_LARGE', `The request body is over the ${limit}-byte limit.`);
			}
			// Start reading the body before any await: uWS drops data that arrives with no reader.
			const body = BODY_METHODS.has(info.method) ? readBody(state, limit) : undefined;
			body?.catch(() => undefined);
			const credential = credentialOf(info);
			const auth = await this.authenticate(info);
			if (route.auth === 'user' && !auth) {
				throw new HttpError(401, 'UNAUTHENTICATED', credential?.kind === 'token' ? 'This API token is invalid, expired or revoked.' : 'Sign in first.');
			}
			if ((route.sameOrigin || credential?.kind === 'session') && BODY_METHODS.has(info.method) && !sameOrigin(info)) {
				throw new HttpError(403, 'CROSS_ORIGIN', 'Requests from other sites are refused.');
			}
			const query = parseQuery(info.query);
			const fromBody = body ? bodyParams(route.body, await body, info.headers['content-type']) : undefined;
			// A write takes its fields from its JSON body only (what the address carries, e.g. a form's `?utm_source=`, is not read);
			// a file body comes with the query (e.g. `?importId=` beside a CSV).
			const write = BODY_METHODS.has(info.method) && route.body === 'json';
			const params: Record<string, unknown> = route.body === 'json' ? (write ? (fromBody ?? {}) : query) : { ...query, ...fromBody };
			Object.assign(params, pathParams);
			const nul = fieldWithNul(route.body === 'csv' ? { ...params, csv: '' } : params);
			if (nul) throw new HttpError(400, 'VALIDATION_ERROR', 'Some fields are not valid.', [{ field: nul, message: 'Remove the invisible NUL character (\\u0000) from this text.' }]);
			const meta: CallerMeta & DownloadMeta & { $statusCode?: number; $session?: { token: string; expiresAt: string } | null } = {
				user: auth ? { id: auth.userId } : undefined,
				sessionHash: auth?.sessionHash,
				ip: info.ip,
				userAgent: info.headers['user-agent'],
			};
			const result = await this.broker.call(route.action, params, { meta });
			const headers: Record<string, string> = { ...API_HEADERS };
			if (meta.$session !== undefined) {
				const secure = isHttps(info, this.settings.cookieSecure);
				headers['Set-Cookie'] = meta.$session
					? sessionCookie(meta.$session.token, Math.floor((Date.parse(meta.$session.expiresAt) - Date.now()) / 1000), secure)
					: sessionCookie('', 0, secure);
			}
			send(state, resultReply(meta.$statusCode ?? 200, result, meta, headers));
		},

		authenticate(info) {
			const credential = credentialOf(info);
			if (!credential) return Promise.resolve(null);
			return this.credentials.lookup(credential.kind, credential.secret);
		},

		refreshRoutes() {
			const actions = this.broker.registry.getActionList({ onlyAvailable: true, skipInternal: true, withEndpoints: false }) as never;
			try {
				this.router.replace(routesFrom(actions));
			} catch (err) {
				this.logger.error('Could not build the API routes:', err);
			}
		},

		publish(userId, type, payload) {
			if (typeof userId !== 'string' || !userId) {
				this.logger.warn(`Event ${type} has no userId; not delivered to browsers.`);
				return;
			}
			this.app.publish(userTopic(userId), JSON.stringify({ type, payload }));
		},

		metricsText() {
			const reporters = (this.broker.metrics as unknown as { reporter?: unknown[] }).reporter ?? [];
			const prometheus = reporters.find((r): r is PrometheusText => r instanceof PrometheusText);
			return prometheus ? prometheus.text() : '';
		},
	},

	created() {
		this.proxyTrust = parseProxyTrust(this.settings.trustProxy);
		this.router = new Router();
		this.files = new StaticFiles(this.settings.webDist);
		this.credentials = new CredentialCache(async (kind, secret) =>
			this.broker.call<Authentication | null, { sessionToken?: string; apiToken?: string }>(
				'users.authenticate',
				kind === 'session' ? { sessionToken: secret } : { apiToken: secret },
			),
		);
		this.sockets = new Sockets({
			proxyTrust: this.proxyTrust,
			refuse: info => {
				const credential = credentialOf(info);
				if (!credential) return new HttpError(401, 'UNAUTHENTICATED', 'Sign in first.');
				// Browsers send cookies with another site's WebSocket too: only our own pages may use them.
				if (credential.kind === 'session' && !sameOrigin(info)) return new HttpError(403, 'CROSS_ORIGIN', 'Connections from other sites are refused.');
				return null;
			},
			authenticate: info => this.authenticate(info),
			onError: err => this.logger.error('Checking a WebSocket sign-in failed:', err),
			maxBackpressure: this.settings.wsMaxBackpressure,
		});
		this.app = App();
		this.sockets.attach(this.app);
		this.app.any('/*', (res, req) => {
			const info = readRequest(req, res, this.proxyTrust);
			const state = new ResponseState(res);
			void this.handle(res, info, state);
		});
	},

	async started() {
		this.refreshRoutes();
		if (!this.files.built) this.logger.warn(`No dashboard build in ${this.settings.webDist}: run \`npm run build\`.`);
		await new Promise<void>((resolve, reject) => {
			this.app.listen(this.settings.host, this.settings.port, socket => {
				if (!socket) return reject(new Error(`Cannot listen on ${this.settings.host}:${this.settings.port}: is the port in use?`));
				this.listenSocket = socket;
				this.port = us_socket_local_port(socket);
				resolve();
			});
		});
		this.logger.info(`Dashboard and API on http://${this.settings.host === '0.0.0.0' ? 'localhost' : this.settings.host}:${this.port}`);
	},

	stopped() {
		this.sockets.closeAll();
		if (this.listenSocket) us_listen_socket_close(this.listenSocket);
		this.listenSocket = undefined;
	},
};

export default GatewayService;

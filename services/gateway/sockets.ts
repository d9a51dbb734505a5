import type { HttpRequest, HttpResponse, TemplatedApp, us_socket_context_t, WebSocket } from 'uws-pack';
import type { Authentication } from '../users/users.params.ts';
import type { ProxyTrust } from './client-address.ts';
import { errorReply, readRequest, ResponseState, send, type RequestInfo } from './http.ts';
import type { HttpError } from './errors.ts';

export interface SocketUser {
	/** Empty until the credential the socket was opened with has been checked. */
	userId: string;
	sessionHash?: string;
	tokenHash?: string;
	/** The upgrade request, kept until its credential is checked. */
	request?: RequestInfo;
	closed?: boolean;
	/** Closes the socket when its session or token expires. */
	expiry?: NodeJS.Timeout;
}

export interface SocketOptions {
	/** Which proxies may tell the client's address (for the upgrade request's `ip`). */
	proxyTrust: ProxyTrust;
	/** Checked during the upgrade itself: a request that cannot succeed is refused with this error. */
	refuse(info: RequestInfo): HttpError | null;
	authenticate(info: RequestInfo): Promise<Authentication | null>;
	onError(err: unknown): void;
	/** Bytes a socket may fall behind before it is closed (a client that stopped reading). */
	maxBackpressure: number;
}

export const userTopic = (userId: string) => `user/${userId}`;

/** Close codes the SPA understands: it stops reconnecting on these and shows the sign-in page. */
export const CLOSE_SESSION_ENDED = 4001;

/** Ends the socket when its credential expires (a timer holds at most about 24.8 days: a later expiry is waited for in steps). */
function closeAtExpiry(ws: WebSocket<SocketUser>, expiresAt: number): void {
	const user = ws.getUserData();
	const inMs = expiresAt - Date.now();
	user.expiry = setTimeout(
		() => {
			if (user.closed) return;
			if (Date.now() >= expiresAt) ws.end(CLOSE_SESSION_ENDED, 'The sign-in has expired.');
			else closeAtExpiry(ws, expiresAt);
		},
		Math.max(0, Math.min(inMs, 2 ** 31 - 1)),
	);
	user.expiry.unref();
}

/**
 * `/ws`: one socket per browser tab, opened with the session cookie or a bearer token and
 * subscribed to its user's topic once that credential checks out (`hello` says so; a bad one
 * closes it with 4001 before anything is sent). The upgrade itself is synchronous: uWS can close
 * a socket upgraded later from a corked callback (uNetworking/uWebSockets#1928), and upgrading
 * outside a cork prints a warning per socket. Pings keep it alive; a socket whose unsent data
 * exceeds `maxBackpressure` is closed rather than buffering without end.
 */
export class Sockets {
	private readonly byUser = new Map<string, Set<WebSocket<SocketUser>>>();
	/** Open, their credential still being checked. */
	private readonly admitting = new Set<WebSocket<SocketUser>>();

	constructor(private readonly options: SocketOptions) {}

	attach(app: TemplatedApp): void {
		app.ws<SocketUser>('/ws', {
			maxPayloadLength: 16 * 1024,
			idleTimeout: 60,
			sendPingsAutomatically: true,
			maxBackpressure: this.options.maxBackpressure,
			closeOnBackpressureLimit: true,
			upgrade: (res, req, context) => this.upgrade(res, req, context),
			open: ws => this.admit(ws),
			message: (ws, message) => {
				let frame: { type?: unknown };
				try {
					frame = JSON.parse(Buffer.from(message).toString('utf8'));
				} catch {
					ws.end(1003, 'Frames must be JSON.');
					return;
				}
				if (frame?.type === 'ping') ws.send('{"type":"pong"}');
			},
			close: ws => {
				const user = ws.getUserData();
				user.closed = true;
				clearTimeout(user.expiry);
				this.admitting.delete(ws);
				const set = this.byUser.get(user.userId);
				set?.delete(ws);
				if (set?.size === 0) this.byUser.delete(user.userId);
			},
		});
	}

	/** Closes the sockets opened with a session or token that has just ended. */
	closeWhere(userId: string, match: (user: SocketUser) => boolean): void {
		for (const ws of [...(this.byUser.get(userId) ?? [])]) {
			if (match(ws.getUserData())) ws.end(CLOSE_SESSION_ENDED, 'Signed out.');
		}
	}

	closeAll(): void {
		for (const ws of [...this.admitting, ...[...this.byUser.values()].flatMap(set => [...set])]) ws.end(1001, 'Server stopping.');
		this.admitting.clear();
		this.byUser.clear();
	}

	get count(): number {
		let n = this.admitting.size;
		for (const set of this.byUser.values()) n += set.size;
		return n;
	}

	private upgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
		const request = readRequest(req, res, this.options.proxyTrust);
		const refusal = this.options.refuse(request);
		if (refusal) return send(new ResponseState(res), errorReply(refusal));
		res.upgrade<SocketUser>(
			{ userId: '', request },
			req.getHeader('sec-websocket-key'),
			req.getHeader('sec-websocket-protocol'),
			req.getHeader('sec-websocket-extensions'),
			context,
		);
	}

	/** Checks the credential the socket came with, then subscribes it to its user's events. */
	private admit(ws: WebSocket<SocketUser>): void {
		const user = ws.getUserData();
		const request = user.request!;
		user.request = undefined;
		this.admitting.add(ws);
		this.options
			.authenticate(request)
			.then(auth => {
				if (user.closed) return;
				this.admitting.delete(ws);
				if (!auth) return void ws.end(CLOSE_SESSION_ENDED, 'Sign in first.');
				Object.assign(user, { userId: auth.userId, sessionHash: auth.sessionHash, tokenHash: auth.tokenHash });
				if (auth.expiresAt) closeAtExpiry(ws, Date.parse(auth.expiresAt));
				let set = this.byUser.get(auth.userId);
				if (!set) this.byUser.set(auth.userId, (set = new Set()));
				set.add(ws);
				ws.cork(() => {
					ws.subscribe(userTopic(auth.userId));
					ws.send(JSON.stringify({ type: 'hello', payload: { userId: auth.userId } }));
				});
			})
			.catch(err => {
				this.options.onError(err);
				if (user.closed) return;
				this.admitting.delete(ws);
				ws.end(1011, 'Could not check the sign-in; try again.');
			});
	}
}

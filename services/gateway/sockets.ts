import type { HttpRequest, HttpResponse, TemplatedApp, us_socket_context_t, WebSocket } from 'uws-pack';
import type { Authentication } from '../users/users.params.ts';
import { errorReply, readRequest, ResponseState, send, type RequestInfo } from './http.ts';
import { HttpError, toHttpError } from './errors.ts';

export interface SocketUser {
	userId: string;
	sessionHash?: string;
	tokenHash?: string;
}

export interface SocketOptions {
	authenticate(info: RequestInfo): Promise<Authentication | null>;
	onError(err: unknown): void;
	/** Bytes a socket may fall behind before it is closed (a client that stopped reading). */
	maxBackpressure: number;
}

export const userTopic = (userId: string) => `user/${userId}`;

/** Close codes the SPA understands: it stops reconnecting on these and shows the sign-in page. */
export const CLOSE_SESSION_ENDED = 4001;

/**
 * `/ws`: one socket per browser tab, authenticated during the upgrade by the session cookie or a
 * bearer token, subscribed to its user's topic. Pings keep it alive; a socket whose unsent data
 * exceeds `maxBackpressure` is closed rather than buffering without end.
 */
export class Sockets {
	private readonly byUser = new Map<string, Set<WebSocket<SocketUser>>>();

	constructor(private readonly options: SocketOptions) {}

	attach(app: TemplatedApp): void {
		app.ws<SocketUser>('/ws', {
			maxPayloadLength: 16 * 1024,
			idleTimeout: 60,
			sendPingsAutomatically: true,
			maxBackpressure: this.options.maxBackpressure,
			closeOnBackpressureLimit: true,
			upgrade: (res, req, context) => this.upgrade(res, req, context),
			open: ws => {
				const { userId } = ws.getUserData();
				ws.subscribe(userTopic(userId));
				let set = this.byUser.get(userId);
				if (!set) this.byUser.set(userId, (set = new Set()));
				set.add(ws);
				ws.send(JSON.stringify({ type: 'hello', payload: { userId } }));
			},
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
				const { userId } = ws.getUserData();
				const set = this.byUser.get(userId);
				set?.delete(ws);
				if (set?.size === 0) this.byUser.delete(userId);
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
		for (const set of this.byUser.values()) for (const ws of [...set]) ws.end(1001, 'Server stopping.');
		this.byUser.clear();
	}

	get count(): number {
		let n = 0;
		for (const set of this.byUser.values()) n += set.size;
		return n;
	}

	private upgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
		const info = readRequest(req, res);
		const key = req.getHeader('sec-websocket-key');
		const protocol = req.getHeader('sec-websocket-protocol');
		const extensions = req.getHeader('sec-websocket-extensions');
		const state = new ResponseState(res);
		this.options
			.authenticate(info)
			.then(auth => {
				if (state.aborted) return;
				if (!auth) return send(state, errorReply(new HttpError(401, 'UNAUTHENTICATED', 'Sign in first.')));
				state.aborted = true;
				res.cork(() =>
					res.upgrade<SocketUser>({ userId: auth.userId, sessionHash: auth.sessionHash, tokenHash: auth.tokenHash }, key, protocol, extensions, context),
				);
			})
			.catch(err => {
				this.options.onError(err);
				send(state, errorReply(toHttpError(err)));
			});
	}
}

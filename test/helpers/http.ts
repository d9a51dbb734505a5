import WebSocket from 'ws';

export interface HttpResult<T = any> {
	status: number;
	body: T;
	headers: Headers;
}

/** A small HTTP client that keeps the session cookie, like one browser. */
export class Client {
	cookie?: string;
	bearer?: string;

	constructor(readonly baseUrl: string) {}

	async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult<T>> {
		const h: Record<string, string> = { ...headers };
		if (this.cookie) h.cookie = this.cookie;
		if (this.bearer) h.authorization = `Bearer ${this.bearer}`;
		let payload: string | Uint8Array<ArrayBuffer> | undefined;
		if (typeof body === 'string') payload = body;
		else if (Buffer.isBuffer(body)) payload = new Uint8Array(body);
		else if (body !== undefined) payload = JSON.stringify(body);
		if (payload !== undefined && !h['content-type']) h['content-type'] = 'application/json';
		const res = await fetch(this.baseUrl + path, { method, headers: h, body: payload });
		const setCookie = res.headers.get('set-cookie');
		if (setCookie) {
			const [pair] = setCookie.split(';');
			this.cookie = pair.endsWith('=') ? undefined : pair;
		}
		const text = await res.text();
		let parsed: unknown = text;
		try {
			parsed = text ? JSON.parse(text) : null;
		} catch {
			// not JSON: keep the text
		}
		return { status: res.status, body: parsed as T, headers: res.headers };
	}

	get<T = any>(path: string) {
		return this.request<T>('GET', path);
	}
	post<T = any>(path: string, body?: unknown) {
		return this.request<T>('POST', path, body);
	}
	patch<T = any>(path: string, body?: unknown) {
		return this.request<T>('PATCH', path, body);
	}
	delete<T = any>(path: string) {
		return this.request<T>('DELETE', path);
	}

	/** Registers a fresh account and keeps its session. */
	async register(overrides: Partial<{ email: string; name: string; password: string; timeZone: string }> = {}) {
		const email = overrides.email ?? `user-${Math.random().toString(36).slice(2, 10)}@example.com`;
		const res = await this.post('/api/auth/register', { email, name: 'Test User', password: 'correct horse battery', timeZone: 'UTC', ...overrides });
		if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
		return res.body.user as { id: string; email: string; name: string; timeZone: string };
	}
}

export interface Frame {
	type: string;
	payload?: any;
}

/** A WebSocket to /ws that records every frame and can wait for one. */
export class LiveSocket {
	readonly frames: Frame[] = [];
	private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
	closed?: { code: number; reason: string };
	/** What broke the connection, when the client gave up on it (an invalid frame, a reset). */
	failure?: Error;

	private constructor(readonly ws: WebSocket) {
		ws.on('message', data => {
			const frame = JSON.parse(String(data)) as Frame;
			this.frames.push(frame);
			this.waiters = this.waiters.filter(w => (w.match(frame) ? (w.resolve(frame), false) : true));
		});
		ws.on('close', (code, reason) => {
			this.closed = { code, reason: String(reason) };
		});
		ws.on('error', err => {
			this.failure = err;
		});
	}

	/** Resolves once the server said `hello` (the socket receives its user's events from then on); `admitted: false` resolves on the upgrade alone. */
	static open(baseUrl: string, headers: Record<string, string> = {}, { admitted = true } = {}): Promise<LiveSocket> {
		const ws = new WebSocket(baseUrl.replace(/^http/, 'ws') + '/ws', { headers });
		const socket = new LiveSocket(ws);
		return new Promise((resolve, reject) => {
			ws.once('open', () => {
				if (!admitted) return resolve(socket);
				socket.next(f => f.type === 'hello').then(() => resolve(socket), reject);
			});
			ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
			ws.once('error', reject);
		});
	}

	next(match: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
		const seen = this.frames.find(match);
		if (seen) return Promise.resolve(seen);
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				const state = this.closed ? `closed ${this.closed.code} ${this.closed.reason}${this.failure ? ` (${this.failure.message})` : ''}` : `open (readyState ${this.ws.readyState})`;
				reject(new Error(`no matching frame within ${timeoutMs} ms; socket ${state}; got ${JSON.stringify(this.frames)}`));
			}, timeoutMs);
			this.waiters.push({ match, resolve: f => (clearTimeout(timer), resolve(f)) });
		});
	}

	waitClosed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
		if (this.closed) return Promise.resolve(this.closed);
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error('socket not closed in time')), timeoutMs);
			this.ws.once('close', (code, reason) => (clearTimeout(timer), resolve({ code, reason: String(reason) })));
		});
	}

	close(): void {
		this.ws.close();
	}
}

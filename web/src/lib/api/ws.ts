import type { SocketFrames } from '$server/gateway/browser-events.ts';

export type ConnectionState = 'connecting' | 'live' | 'offline';

/** Server → client frames by type: each domain declares its own (see the gateway's browser-events.ts). */
export type ServerEvents = SocketFrames;

type EventType = keyof ServerEvents;
type Listener<T> = (value: T) => void;

const PING_EVERY_MS = 20_000;
const PONG_WITHIN_MS = 10_000;
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 10_000;

const eventHandlers = new Map<string, Set<Listener<never>>>();
const stateListeners = new Set<Listener<ConnectionState>>();
const reconnectListeners = new Set<() => void>();
const signedOutListeners = new Set<() => void>();

/** The server closes a socket with this code when its sign-in is not (or no longer) valid. */
const CLOSE_SIGNED_OUT = 4001;

function socketUrl(): string {
	const protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
	return `${protocol}//${location.host}/ws`;
}

function dispatch(frame: { type?: unknown; payload?: unknown }): void {
	if (typeof frame.type !== 'string') return;
	for (const handler of eventHandlers.get(frame.type) ?? []) {
		try {
			(handler as Listener<unknown>)(frame.payload ?? {});
		} catch (error) {
			console.error(`Handler for "${frame.type}" failed`, error);
		}
	}
}

class LiveSocket {
	state: ConnectionState = 'offline';
	#socket: WebSocket | null = null;
	#wanted = false;
	#connectedBefore = false;
	#attempt = 0;
	#retryTimer: ReturnType<typeof setTimeout> | undefined;
	#pingTimer: ReturnType<typeof setInterval> | undefined;
	#pongTimer: ReturnType<typeof setTimeout> | undefined;

	open(): void {
		if (this.#wanted) return;
		this.#wanted = true;
		window.addEventListener('online', this.#retryNow);
		this.#connect();
	}

	close(): void {
		this.#wanted = false;
		this.#connectedBefore = false;
		this.#attempt = 0;
		window.removeEventListener('online', this.#retryNow);
		clearTimeout(this.#retryTimer);
		this.#drop();
		this.#setState('offline');
	}

	#connect(): void {
		this.#setState('connecting');
		const socket = new WebSocket(socketUrl());
		this.#socket = socket;
		socket.onmessage = (message) => this.#receive(message.data);
		socket.onclose = (event) => (event.code === CLOSE_SIGNED_OUT ? this.#signedOut() : this.#lost());
	}

	/** `hello`: the server checked the sign-in and sends this user's events from now on. */
	#admitted(): void {
		this.#attempt = 0;
		this.#setState('live');
		this.#startHeartbeat();
		// Events sent while we were away are lost: the state modules re-fetch what they show.
		if (this.#connectedBefore) for (const listener of reconnectListeners) listener();
		this.#connectedBefore = true;
	}

	/** The session ended (signed out elsewhere, expired): retrying cannot help, the page must sign in again. */
	#signedOut(): void {
		this.#drop();
		this.#setState('offline');
		for (const listener of signedOutListeners) listener();
	}

	#receive(data: unknown): void {
		if (typeof data !== 'string') return;
		let frame: { type?: unknown; payload?: unknown };
		try {
			frame = JSON.parse(data);
		} catch {
			return;
		}
		if (frame.type === 'hello') this.#admitted();
		if (frame.type === 'pong') {
			clearTimeout(this.#pongTimer);
			this.#pongTimer = undefined;
			return;
		}
		dispatch(frame);
	}

	#startHeartbeat(): void {
		this.#pingTimer = setInterval(() => {
			this.#socket?.send(JSON.stringify({ type: 'ping' }));
			// A half-open TCP connection never fires `close`, so a missing pong is the only sign.
			this.#pongTimer ??= setTimeout(() => this.#lost(), PONG_WITHIN_MS);
		}, PING_EVERY_MS);
	}

	#lost(): void {
		this.#drop();
		if (!this.#wanted) return;
		this.#setState('offline');
		const ceiling = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** this.#attempt);
		this.#attempt += 1;
		// Jitter spreads the reconnects of many tabs after a server restart.
		const delay = ceiling / 2 + Math.random() * (ceiling / 2);
		this.#retryTimer = setTimeout(() => this.#connect(), delay);
	}

	#retryNow = (): void => {
		if (!this.#wanted || this.#socket) return;
		clearTimeout(this.#retryTimer);
		this.#connect();
	};

	#drop(): void {
		clearInterval(this.#pingTimer);
		clearTimeout(this.#pongTimer);
		this.#pingTimer = this.#pongTimer = undefined;
		const socket = this.#socket;
		this.#socket = null;
		if (!socket) return;
		socket.onopen = socket.onmessage = socket.onclose = null;
		if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) socket.close(1000);
	}

	#setState(state: ConnectionState): void {
		if (state === this.state) return;
		this.state = state;
		for (const listener of stateListeners) listener(state);
	}
}

const liveSocket = new LiveSocket();

export const openLiveSocket = (): void => liveSocket.open();
export const closeLiveSocket = (): void => liveSocket.close();

export function subscribe<T extends EventType>(type: T, handler: Listener<ServerEvents[T]>): () => void {
	const handlers = eventHandlers.get(type) ?? new Set();
	eventHandlers.set(type, handlers);
	handlers.add(handler as Listener<never>);
	return () => handlers.delete(handler as Listener<never>);
}

export function onConnectionState(listener: Listener<ConnectionState>): () => void {
	stateListeners.add(listener);
	listener(liveSocket.state);
	return () => stateListeners.delete(listener);
}

/** Called after every reconnect except the first connect of a session. */
export function onReconnect(listener: () => void): () => void {
	reconnectListeners.add(listener);
	return () => reconnectListeners.delete(listener);
}

/** Called when the server closed the socket because the sign-in ended. */
export function onSignedOut(listener: () => void): () => void {
	signedOutListeners.add(listener);
	return () => signedOutListeners.delete(listener);
}

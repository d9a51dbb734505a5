import type { HttpRequest, HttpResponse } from 'uws-pack';
import { clientAddress, type ProxyTrust } from './client-address.ts';
import { HttpError, statusLine } from './errors.ts';

/** What a handler needs from a request, copied out synchronously (uWS invalidates `req` after). */
export interface RequestInfo {
	method: string;
	path: string;
	query: string;
	headers: Record<string, string>;
	/** The client's address: the peer's, or what a trusted proxy says it saw. */
	ip: string;
	/** The protocol the client used, as a trusted proxy says (`X-Forwarded-Proto`); unset without one. */
	forwardedProto?: string;
}

const WANTED_HEADERS = ['cookie', 'authorization', 'content-type', 'content-length', 'origin', 'host', 'user-agent', 'x-forwarded-for', 'x-forwarded-proto', 'if-none-match', 'accept-encoding'];

export function readRequest(req: HttpRequest, res: HttpResponse, trust: ProxyTrust): RequestInfo {
	const headers: Record<string, string> = {};
	for (const name of WANTED_HEADERS) {
		const value = req.getHeader(name);
		if (value) headers[name] = value;
	}
	const { ip, viaTrustedProxy } = clientAddress(Buffer.from(res.getRemoteAddressAsText()).toString(), headers['x-forwarded-for'], trust);
	return {
		method: req.getMethod().toUpperCase(),
		path: req.getUrl(),
		query: req.getQuery() ?? '',
		headers,
		ip,
		forwardedProto: viaTrustedProxy ? headers['x-forwarded-proto']?.split(',')[0]?.trim() : undefined,
	};
}

/** Tracks whether the client went away, so nothing is written to a dead response. */
export class ResponseState {
	aborted = false;
	constructor(readonly res: HttpResponse) {
		res.onAborted(() => {
			this.aborted = true;
		});
	}
}

/** Reads the whole body up to `limit` bytes; rejects with 413 past it. Register before any await. */
export function readBody(state: ResponseState, limit: number): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		let failed = false;
		state.res.onData((chunk, isLast) => {
			if (failed) return;
			size += chunk.byteLength;
			if (size > limit) {
				failed = true;
				reject(new HttpError(413, 'BODY_TOO_LARGE', `The request body is over the ${limit}-byte limit.`));
				return;
			}
			// uWS reuses the chunk's memory after this callback: copy it.
			chunks.push(Buffer.copyBytesFrom(new Uint8Array(chunk)));
			if (isLast) resolve(Buffer.concat(chunks, size));
		});
	});
}

export interface Reply {
	status: number;
	body?: string | Buffer;
	headers?: Record<string, string>;
	/** Close the connection after this reply (e.g. the client is still sending a refused body). */
	close?: boolean;
}

export function send(state: ResponseState, reply: Reply): void {
	if (state.aborted) return;
	state.aborted = true;
	state.res.cork(() => {
		state.res.writeStatus(statusLine(reply.status));
		for (const [name, value] of Object.entries(reply.headers ?? {})) state.res.writeHeader(name, value);
		if (reply.body === undefined) state.res.endWithoutBody(0, reply.close);
		else state.res.end(reply.body, reply.close);
	});
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
	return { status, body: JSON.stringify(value), headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers } };
}

export function errorReply(err: HttpError, close = false): Reply {
	return {
		status: err.status,
		body: err.body(),
		headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...err.headers },
		close,
	};
}

export function parseCookies(header: string | undefined): Record<string, string> {
	const out: Record<string, string> = {};
	if (!header) return out;
	for (const part of header.split(';')) {
		const eq = part.indexOf('=');
		if (eq < 1) continue;
		const name = part.slice(0, eq).trim();
		try {
			out[name] = decodeURIComponent(part.slice(eq + 1).trim());
		} catch {
			// A malformed cookie from someone else's app on this host: ignore it.
		}
	}
	return out;
}

export function parseQuery(query: string): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [key, value] of new URLSearchParams(query)) out[key] = value;
	return out;
}

import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

export type DownloadFailure = 'BAD_URL' | 'PRIVATE_ADDRESS' | 'URL_UNREACHABLE' | 'URL_TIMEOUT' | 'URL_ERROR_STATUS' | 'TOO_MANY_REDIRECTS' | 'NOT_AN_IMAGE' | 'URL_TOO_LARGE';

/** Why an image could not be fetched from an address, in words the user can act on. */
export class DownloadFailed extends Error {
	constructor(
		readonly code: DownloadFailure,
		message: string,
	) {
		super(message);
		this.name = 'DownloadFailed';
	}
}

export interface DownloadOptions {
	/** Largest response body accepted; counted while it arrives. */
	limitBytes: number;
	/** For the whole download, redirects included. */
	timeoutMs: number;
	/** Allow loopback, private, link-local and other non-public addresses (tests, closed networks). */
	allowPrivate: boolean;
	maxRedirects?: number;
}

export interface Downloaded {
	data: Buffer;
	/** As the server declared it (always `image/…`); the bytes are checked separately. */
	contentType: string;
	url: URL;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const DEFAULT_MAX_REDIRECTS = 3;

/** `::a.b.c.d`: IPv4 written inside IPv6 the retired way, which ipaddr.js reads as IPv6 unicast. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/**
 * Whether an address is on the public internet, by ipaddr.js's ranges: IPv4-mapped addresses are
 * judged as the IPv4 they carry, and anything that is not plain unicast (private, loopback,
 * link-local, reserved, NAT64, 6to4, Teredo, site-local, …) is not public.
 */
export function isPublicAddress(address: string): boolean {
	if (!ipaddr.isValid(address)) return false;
	const ip = ipaddr.process(address);
	if (ip.kind() === 'ipv6' && ip.match(IPV4_COMPATIBLE)) return false;
	return ip.range() === 'unicast';
}

const privateAddress = (host: string) =>
	new DownloadFailed('PRIVATE_ADDRESS', `${host} is on a private or local network. Use an address on the public internet.`);

/**
 * Resolves names itself and refuses to connect when any address of the host is not public, so
 * the address checked is the address connected to (no DNS rebinding between check and use).
 */
function guardedLookup(allowPrivate: boolean): net.LookupFunction {
	return ((hostname: string, options: dns.LookupOptions, callback: (err: Error | null, address: string | dns.LookupAddress[], family?: number) => void) => {
		dns.lookup(hostname, { all: true, family: options.family }, (err, addresses) => {
			if (err) return callback(err, '');
			if (!allowPrivate && addresses.some(a => !isPublicAddress(a.address))) return callback(privateAddress(hostname), '');
			if (options.all) return callback(null, addresses);
			callback(null, addresses[0].address, addresses[0].family);
		});
	}) as net.LookupFunction;
}

function parseUrl(raw: string | URL): URL {
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		throw new DownloadFailed('BAD_URL', 'This is not a web address. Use one that starts with https://.');
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new DownloadFailed('BAD_URL', 'Only http:// and https:// addresses can be fetched.');
	return url;
}

/**
 * Fetches an image from a public http(s) address: redirects limited and each one checked again,
 * the whole download under one deadline, the size counted as the body arrives (the download
 * stops at the limit), and anything not declared `image/*` refused before its body is read.
 */
export async function downloadImage(raw: string, options: DownloadOptions): Promise<Downloaded> {
	const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
	const abort = new AbortController();
	const timer = setTimeout(() => abort.abort(), options.timeoutMs);
	let url = parseUrl(raw);
	try {
		for (let redirects = 0; ; redirects++) {
			const response = await get(url, options.allowPrivate, abort.signal);
			const status = response.statusCode ?? 0;
			const location = response.headers.location;
			if (REDIRECTS.has(status) && location) {
				response.destroy();
				if (redirects >= maxRedirects) throw new DownloadFailed('TOO_MANY_REDIRECTS', `The address redirects more than ${maxRedirects} times.`);
				url = parseUrl(new URL(location, url));
				continue;
			}
			return { data: await readImageBody(response, url, options.limitBytes), contentType: contentTypeOf(response), url };
		}
	} catch (err) {
		if (err instanceof DownloadFailed) throw err;
		if (abort.signal.aborted) throw new DownloadFailed('URL_TIMEOUT', `The address did not send the image within ${Math.round(options.timeoutMs / 1000)} s.`);
		throw new DownloadFailed('URL_UNREACHABLE', `Could not fetch the image from ${url.host}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`);
	} finally {
		clearTimeout(timer);
	}
}

function get(url: URL, allowPrivate: boolean, signal: AbortSignal): Promise<http.IncomingMessage> {
	const host = url.hostname.replace(/^\[|\]$/g, '');
	// A literal address is connected to without a lookup, so it is checked here.
	if (net.isIP(host) && !allowPrivate && !isPublicAddress(host)) return Promise.reject(privateAddress(host));
	const client = url.protocol === 'https:' ? https : http;
	return new Promise((resolve, reject) => {
		const request = client.get(url, { lookup: guardedLookup(allowPrivate), signal, agent: false, headers: { accept: 'image/*', 'user-agent': 'Fleetcast-media/1' } }, resolve);
		request.on('error', reject);
	});
}

function contentTypeOf(response: http.IncomingMessage): string {
	return (response.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

async function readImageBody(response: http.IncomingMessage, url: URL, limitBytes: number): Promise<Buffer> {
	const status = response.statusCode ?? 0;
	const tooLarge = () => new DownloadFailed('URL_TOO_LARGE', `The image at this address is over the ${Math.round(limitBytes / 1024 / 1024)} MB limit.`);
	try {
		if (status < 200 || status > 299) throw new DownloadFailed('URL_ERROR_STATUS', `${url.host} answered ${status} ${response.statusMessage ?? ''}`.trim() + '.');
		const type = contentTypeOf(response);
		if (!type.startsWith('image/')) throw new DownloadFailed('NOT_AN_IMAGE', `The address gives ${type || 'something without a type'}, not an image. Use the address of the image itself.`);
		if (Number(response.headers['content-length']) > limitBytes) throw tooLarge();
		const chunks: Buffer[] = [];
		let received = 0;
		for await (const chunk of response) {
			received += (chunk as Buffer).length;
			if (received > limitBytes) throw tooLarge();
			chunks.push(chunk as Buffer);
		}
		return Buffer.concat(chunks);
	} finally {
		// Stops a refused or oversized body from being read any further.
		if (!response.complete) response.destroy();
	}
}

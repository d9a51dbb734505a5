import type { BinaryResult, BodyKind, DownloadMeta } from '../../mixins/service-schema.ts';
import { HttpError } from './errors.ts';
import { json, type Reply } from './http.ts';

export interface BodyLimits {
	json: number;
	csv: number;
	image: number;
}

const CSV_TYPES = /^(text\/csv|text\/plain|application\/csv)\s*(;|$)/i;
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];

/** The mime type of a Content-Type header, lower-cased and without its parameters. */
function mimeOf(contentType: string | undefined): string {
	return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * The params a request body stands for, by the route's body kind (undefined for no JSON body);
 * throws the 4xx to answer otherwise.
 */
export function bodyParams(kind: BodyKind, raw: Buffer, contentType: string | undefined): Record<string, unknown> | undefined {
	if (kind === 'csv') {
		if (raw.length > 0 && !CSV_TYPES.test(contentType ?? '')) {
			throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the file as text/csv (UTF-8).');
		}
		return { csv: decodeText(raw, contentType) };
	}
	if (kind === 'image') {
		const type = mimeOf(contentType);
		if (!IMAGE_TYPES.includes(type)) {
			throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send a JPEG, PNG, GIF or WebP image with its Content-Type (image/jpeg, image/png, image/gif or image/webp).');
		}
		if (raw.length === 0) throw new HttpError(400, 'EMPTY_BODY', 'The image is empty.');
		return { data: raw.toString('base64'), contentType: type };
	}
	if (raw.length === 0) return undefined;
	if (!/^application\/json\b/i.test(contentType ?? '')) {
		throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.');
	}
	let parsed: unknown;
	try {
		parsed = JSON.parse(raw.toString('utf8'));
	} catch {
		throw new HttpError(400, 'BAD_JSON', 'The request body is not valid JSON.');
	}
	if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
		throw new HttpError(400, 'BAD_JSON', 'The request body must be a JSON object.');
	}
	return parsed as Record<string, unknown>;
}

/**
 * A text file's bytes as text: by its byte-order mark (UTF-8, UTF-16 LE or BE: what spreadsheet
 * programs write), else by the declared charset (`text/csv; charset=latin1`), else UTF-8, with the
 * WHATWG decoders Node ships. A charset no decoder knows is refused rather than read wrongly.
 */
export function decodeText(raw: Buffer, contentType: string | undefined): string {
	const bom = raw.subarray(0, 3);
	let charset: string;
	if (bom[0] === 0xef && bom[1] === 0xbb && bom[2] === 0xbf) charset = 'utf-8';
	else if (bom[0] === 0xff && bom[1] === 0xfe) charset = 'utf-16le';
	else if (bom[0] === 0xfe && bom[1] === 0xff) charset = 'utf-16be';
	else charset = /;\s*charset\s*=\s*"?([\w.:-]+)"?/i.exec(contentType ?? '')?.[1] ?? 'utf-8';
	let decoder: TextDecoder;
	try {
		decoder = new TextDecoder(charset);
	} catch {
		throw new HttpError(415, 'UNSUPPORTED_CHARSET', `This file's character set (${charset}) is not one Fleetcast reads. Save it as CSV UTF-8.`);
	}
	// The decoder drops the byte-order mark itself.
	return decoder.decode(raw);
}

/** The first text holding a NUL character, as a field path (`name`, `greetings.en[2].text`); PostgreSQL cannot store one. */
export function fieldWithNul(value: unknown, path = ''): string | undefined {
	if (typeof value === 'string') return value.includes('\u0000') ? path || 'body' : undefined;
	if (Array.isArray(value)) {
		for (const [i, item] of value.entries()) {
			const found = fieldWithNul(item, `${path}[${i}]`);
			if (found) return found;
		}
		return undefined;
	}
	if (value && typeof value === 'object') {
		for (const [key, item] of Object.entries(value)) {
			if (fieldWithNul(key)) return path ? `${path}.${key}` : key;
			const found = fieldWithNul(item, path ? `${path}.${key}` : key);
			if (found) return found;
		}
	}
	return undefined;
}

function isBinary(result: unknown): result is BinaryResult {
	return typeof result === 'object' && result !== null && typeof (result as BinaryResult).$binary === 'string';
}

/**
 * The reply for an action's result: JSON, unless the action set `$responseType`, in which case a
 * string goes out as it is and `{ $binary }` as its decoded bytes.
 */
export function resultReply(status: number, result: unknown, meta: DownloadMeta, headers: Record<string, string>): Reply {
	if (status === 204) return { status, headers };
	if (!meta.$responseType) return json(status, result, headers);
	let body: string | Buffer;
	if (typeof result === 'string') body = result;
	else if (isBinary(result)) body = Buffer.from(result.$binary, 'base64');
	else throw new Error(`A ${meta.$responseType} download must be a string or { $binary }, got ${typeof result}.`);
	return { status, body, headers: { ...headers, 'Cache-Control': 'no-store', ...meta.$responseHeaders, 'Content-Type': meta.$responseType } };
}

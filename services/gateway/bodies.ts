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
		// A BOM is what spreadsheet programs put first in "CSV UTF-8" files.
		return { csv: raw.toString('utf8').replace(/^\uFEFF/, '') };
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

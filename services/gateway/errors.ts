import { Errors } from 'moleculer';

export interface FieldError {
	field: string;
	message: string;
}

/** The JSON error body every route answers with: `{ "error": { code, message, fields? } }`. */
export class HttpError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		readonly fields?: FieldError[],
		readonly headers: Record<string, string> = {},
	) {
		super(message);
	}

	body(): string {
		return JSON.stringify({ error: { code: this.code, message: this.message, ...(this.fields ? { fields: this.fields } : {}) } });
	}
}

const STATUS_TEXT: Record<number, string> = {
	200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized',
	403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 413: 'Payload Too Large',
	415: 'Unsupported Media Type', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
	504: 'Gateway Timeout',
};

export function statusLine(status: number): string {
	return `${status} ${STATUS_TEXT[status] ?? 'Status'}`;
}

/**
 * Maps whatever an action threw to what the client may see: client errors keep their code and
 * message; anything else becomes a 500 with no internals (the caller logs the original).
 */
export function toHttpError(err: unknown): HttpError {
	if (err instanceof HttpError) return err;
	if (err instanceof Errors.ValidationError) {
		const data = Array.isArray(err.data) ? (err.data as { field?: string; message?: string }[]) : [];
		const fields = data.map(d => ({ field: d.field ?? '', message: (d.message ?? 'Invalid value.').replace(/^The '(.+?)' field/, 'This field') }));
		return new HttpError(400, 'VALIDATION_ERROR', 'Some fields are not valid.', fields);
	}
	if (err instanceof Errors.ServiceNotFoundError || err instanceof Errors.ServiceNotAvailableError) {
		return new HttpError(503, 'SERVICE_UNAVAILABLE', 'That part of Fleetcast is not running right now. Try again shortly.');
	}
	if (err instanceof Errors.RequestTimeoutError) return new HttpError(504, 'TIMEOUT', 'The request took too long.');
	if (err instanceof Errors.MoleculerClientError) {
		const status = err.code >= 400 && err.code < 500 ? err.code : 400;
		const headers: Record<string, string> = {};
		const retryAfter = (err.data as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
		if (status === 429 && retryAfter) headers['Retry-After'] = String(retryAfter);
		return new HttpError(status, err.type || 'BAD_REQUEST', err.message, undefined, headers);
	}
	return new HttpError(500, 'INTERNAL', 'Something went wrong on our side.');
}

import type { FieldError } from '$server/gateway/errors.ts';

export type { FieldError };

/** A failed request, carrying the server's `{ error: { code, message, fields? } }` body. */
export class ApiError extends Error {
	readonly status: number;
	readonly code: string;
	readonly fields?: FieldError[];

	constructor(status: number, code: string, message: string, fields?: FieldError[]) {
		super(message);
		this.name = 'ApiError';
		this.status = status;
		this.code = code;
		this.fields = fields;
	}

	/** The server's message for one input, if it named that input. */
	fieldMessage(field: string): string | undefined {
		return this.fields?.find((entry) => entry.field === field)?.message;
	}
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** The headers and body of a request: a file goes as it is, with its own type; anything else as JSON. */
function encode(body: unknown): { headers: Record<string, string>; body?: BodyInit } {
	const headers = { Accept: 'application/json' };
	if (body === undefined) return { headers };
	if (body instanceof Blob) return { headers: { ...headers, 'Content-Type': body.type || 'application/octet-stream' }, body };
	return { headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
}

async function request<T>(method: Method, path: string, body?: unknown): Promise<T> {
	let response: Response;
	try {
		response = await fetch(path, { method, credentials: 'same-origin', ...encode(body) });
	} catch {
		throw new ApiError(0, 'network_error', 'Cannot reach the server. Check your connection and try again.');
	}
	if (!response.ok) throw await toApiError(response);
	// 204, and a 200 with no body (e.g. an acknowledged command), both mean "nothing to read".
	const text = await response.text();
	return (text ? JSON.parse(text) : undefined) as T;
}

async function toApiError(response: Response): Promise<ApiError> {
	const fallback = `The server answered ${response.status} ${response.statusText}`.trim();
	try {
		const { error } = (await response.json()) as { error?: { code?: string; message?: string; fields?: FieldError[] } };
		return new ApiError(response.status, error?.code ?? 'http_error', error?.message ?? fallback, error?.fields);
	} catch {
		return new ApiError(response.status, 'http_error', fallback);
	}
}

export const http = {
	get: <T>(path: string) => request<T>('GET', path),
	post: <T>(path: string, body?: unknown) => request<T>('POST', path, body),
	patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
	delete: <T = void>(path: string) => request<T>('DELETE', path),
	/** POSTs a file as the raw body. */
	upload: <T>(path: string, file: Blob) => request<T>('POST', path, file),
};

type QueryValue = string | number | boolean | undefined;

/** `?a=1&b=x` of the values that are set (undefined and empty ones are left out); '' when none is. */
export function queryString<T extends { [K in keyof T]: QueryValue }>(values: T): string {
	const query = new URLSearchParams();
	for (const [key, value] of Object.entries(values) as [string, QueryValue][]) {
		if (value !== undefined && value !== '') query.set(key, String(value));
	}
	const text = query.toString();
	return text ? `?${text}` : '';
}

/** The message for one input from any thrown value. */
export function fieldMessage(error: unknown, field: string): string | undefined {
	return error instanceof ApiError ? error.fieldMessage(field) : undefined;
}

/** The message to show for any thrown value. */
export function errorMessage(error: unknown): string {
	if (error instanceof Error) return error.message;
	return 'Something went wrong.';
}

/** What the server said about a form without a place for each field: its field messages, else its message. */
export function fullErrorMessage(error: unknown): string {
	const fields = error instanceof ApiError ? error.fields?.map((entry) => entry.message) : undefined;
	return fields?.length ? fields.join(' ') : errorMessage(error);
}

import type { ActionHandler, ActionSchema, Service, ServiceSchema } from 'moleculer';
import type { RecordKey } from './record.middleware.ts';

/** Declarative keys Fleetcast adds to actions (read by the gateway and the auth middleware). */
export interface ActionKeys {
	/** `"METHOD /path"` mounted under /api, e.g. `"GET /me"`; `:name` segments become params. */
	rest?: string;
	/** `"user"` (the default) needs `ctx.meta.user`; `"public"` does not. */
	auth?: 'user' | 'public';
	/**
	 * What the request body is. `json` (the default): an object whose fields become params.
	 * `csv`: a `text/csv` or `text/plain` body as a UTF-8 string in `params.csv` (BOM stripped),
	 * up to IMPORT_LIMIT_BYTES. `image`: a JPEG, PNG, GIF or WebP body as base64 in `params.data`
	 * with its type in `params.contentType`, up to MEDIA_UPLOAD_LIMIT_BYTES.
	 */
	body?: BodyKind;
	/**
	 * Refuse the call from another site's page even when it carries no session cookie: for actions
	 * that start a session (sign-in, registration), where another site could sign the browser in
	 * as someone else.
	 */
	sameOrigin?: boolean;
	/** Moleculer's own per-action request timeout in ms (it honours it; its types leave it out). */
	timeout?: number;
	/** Load the caller's own row named by a parameter first, or answer 404 (`recordOf(ctx)` gives it). */
	record?: RecordKey;
}

export type BodyKind = 'json' | 'csv' | 'image';

/**
 * What an action may set on `ctx.meta` to answer with something other than JSON: with
 * `$responseType` set, a string result is sent as it is (UTF-8) and a `{ $binary: base64 }`
 * result as the decoded bytes, with `$responseHeaders` added (e.g. Content-Disposition).
 */
export interface DownloadMeta {
	$responseType?: string;
	$responseHeaders?: Record<string, string>;
}

/** A binary result for a download: the bytes as base64, so it crosses the transporter as JSON. */
export interface BinaryResult {
	$binary: string;
}

type This<S, M, L> = Service<S> & M & L;

/** `ServiceSchema` whose actions may carry {@link ActionKeys}. */
export type FleetServiceSchema<S = Record<string, unknown>, M = Record<string, unknown>, L = Record<string, unknown>> = Omit<
	ServiceSchema<S, M, L>,
	'actions'
> & {
	actions?: Record<string, (ActionSchema<This<S, M, L>> & ActionKeys) | ActionHandler<This<S, M, L>>>;
};

export function asSchema(schema: FleetServiceSchema<any, any, any>): ServiceSchema {
	return schema as ServiceSchema;
}

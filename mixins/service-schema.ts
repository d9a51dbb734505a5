import type { ActionHandler, ActionSchema, Service, ServiceSchema } from 'moleculer';

/** Declarative keys Fleetcast adds to actions (read by the gateway and the auth middleware). */
export interface ActionKeys {
	/** `"METHOD /path"` mounted under /api, e.g. `"GET /me"`; `:name` segments become params. */
	rest?: string;
	/** `"user"` (the default) needs `ctx.meta.user`; `"public"` does not. */
	auth?: 'user' | 'public';
	body?: 'json' | 'csv' | 'image';
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

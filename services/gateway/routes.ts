import type { BodyKind } from '../../mixins/service-schema.ts';

/** A REST route declared on an action with `rest: "METHOD /path"` (mounted under /api). */
export interface Route {
	method: string;
	segments: string[];
	action: string;
	auth: 'user' | 'public';
	body: BodyKind;
	/** Calls from another site's pages are refused, cookie or not. */
	sameOrigin: boolean;
}

export interface RouteMatch {
	route: Route;
	params: Record<string, string>;
}

interface ActionInfo {
	name: string;
	action?: { rest?: unknown; auth?: unknown; body?: unknown; sameOrigin?: unknown; visibility?: string };
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const BODY_KINDS = new Set<unknown>(['json', 'csv', 'image']);

function splitPath(path: string): string[] {
	return path.split('/').filter(Boolean);
}

/** Routes from the broker registry's action list; actions without `rest` are not reachable over HTTP. */
export function routesFrom(actions: ActionInfo[], prefix = '/api'): Route[] {
	const routes: Route[] = [];
	for (const { name, action } of actions) {
		if (typeof action?.rest !== 'string') continue;
		if (action.visibility && action.visibility !== 'published') continue;
		const [method, path] = action.rest.trim().split(/\s+/);
		if (!METHODS.has(method) || !path) throw new Error(`Action ${name} has an invalid rest route "${action.rest}".`);
		if (action.body !== undefined && !BODY_KINDS.has(action.body)) throw new Error(`Action ${name} has an invalid body kind "${action.body}".`);
		const body = (action.body ?? 'json') as BodyKind;
		routes.push({ method, segments: splitPath(prefix + path), action: name, auth: action.auth === 'public' ? 'public' : 'user', body, sameOrigin: action.sameOrigin === true });
	}
	// Literal segments win over parameters, so /tokens/new is never taken for /tokens/:id.
	return routes.sort((a, b) => paramCount(a) - paramCount(b));
}

function paramCount(route: Route): number {
	return route.segments.filter(s => s.startsWith(':')).length;
}

export class Router {
	private routes: Route[] = [];

	replace(routes: Route[]): void {
		this.routes = routes;
	}

	/** The route for method and path; `allowed` lists the methods that exist when only the path matched. */
	match(method: string, path: string): RouteMatch | { allowed: string[] } | undefined {
		const parts = splitPath(path);
		const allowed: string[] = [];
		for (const route of this.routes) {
			const params = matchSegments(route.segments, parts);
			if (!params) continue;
			if (route.method === method) return { route, params };
			allowed.push(route.method);
		}
		return allowed.length ? { allowed } : undefined;
	}
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
	if (pattern.length !== parts.length) return undefined;
	const params: Record<string, string> = {};
	for (let i = 0; i < pattern.length; i++) {
		const p = pattern[i];
		if (p.startsWith(':')) {
			try {
				params[p.slice(1)] = decodeURIComponent(parts[i]);
			} catch {
				return undefined;
			}
		} else if (p !== parts[i]) {
			return undefined;
		}
	}
	return params;
}

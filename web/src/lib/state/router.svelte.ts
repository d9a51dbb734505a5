class Router {
	path = $state(location.pathname);
}

export const router = new Router();

export function navigate(to: string, { replace = false } = {}): void {
	const url = new URL(to, location.href);
	if (replace) history.replaceState(null, '', url);
	else if (url.href !== location.href) history.pushState(null, '', url);
	router.path = url.pathname;
	if (!replace) window.scrollTo(0, 0);
}

/** The `:name` segments of `pattern` ("/campaigns/:id/edit") in `path`, or null when it does not match. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
	const want = pattern.split('/');
	const have = path.replace(/\/+$/, '').split('/');
	if (want.length !== have.length) return null;
	const params: Record<string, string> = {};
	for (const [i, part] of want.entries()) {
		if (part.startsWith(':') && have[i]) params[part.slice(1)] = have[i];
		else if (part !== have[i]) return null;
	}
	try {
		return Object.fromEntries(Object.entries(params).map(([name, value]) => [name, decodeURIComponent(value)]));
	} catch {
		return null; // a malformed %-escape is no page of ours
	}
}

function followLink(event: MouseEvent): void {
	if (event.defaultPrevented || event.button !== 0) return;
	if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
	const anchor = (event.target as Element | null)?.closest?.('a');
	if (!anchor || anchor.hasAttribute('download') || anchor.getAttribute('rel') === 'external') return;
	if (anchor.target && anchor.target !== '_self') return;
	const url = new URL(anchor.href, location.href);
	// Only same-origin page links are ours; the server owns /api, /ws and /healthz.
	if (url.origin !== location.origin || /^\/(api|ws|healthz)(\/|$)/.test(url.pathname)) return;
	event.preventDefault();
	navigate(url.pathname + url.search + url.hash);
}

function followHistory(): void {
	router.path = location.pathname;
}

/** Starts handling link clicks and back/forward; returns a function that stops it. */
export function startRouter(): () => void {
	document.addEventListener('click', followLink);
	window.addEventListener('popstate', followHistory);
	return () => {
		document.removeEventListener('click', followLink);
		window.removeEventListener('popstate', followHistory);
	};
}

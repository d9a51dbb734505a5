import { describe, expect, it } from 'vitest';
import { Router, routesFrom } from '../../../services/gateway/routes.ts';

const actions = [
	{ name: 'users.me', action: { rest: 'GET /me' } },
	{ name: 'users.login', action: { rest: 'POST /auth/login', auth: 'public' } },
	{ name: 'users.revokeToken', action: { rest: 'DELETE /tokens/:id' } },
	{ name: 'users.newToken', action: { rest: 'GET /tokens/new' } },
	{ name: 'users.authenticate', action: { auth: 'public' } },
	{ name: 'users.hidden', action: { rest: 'GET /hidden', visibility: 'public' } },
];

describe('routes built from the actions that declare rest', () => {
	const router = new Router();
	router.replace(routesFrom(actions));

	it('matches literal routes and decodes path parameters', () => {
		expect(router.match('GET', '/api/me')).toMatchObject({ route: { action: 'users.me', auth: 'user' }, params: {} });
		expect(router.match('DELETE', '/api/tokens/a%20b')).toMatchObject({ route: { action: 'users.revokeToken' }, params: { id: 'a b' } });
		expect(router.match('POST', '/api/auth/login')).toMatchObject({ route: { auth: 'public' } });
	});

	it('prefers a literal segment over a parameter', () => {
		expect(router.match('GET', '/api/tokens/new')).toMatchObject({ route: { action: 'users.newToken' } });
	});

	it('tells a wrong method apart from an unknown path', () => {
		expect(router.match('POST', '/api/me')).toEqual({ allowed: ['GET'] });
		expect(router.match('GET', '/api/nothing')).toBeUndefined();
		expect(router.match('GET', '/api/tokens/%E0%A4%A')).toBeUndefined();
	});

	it('exposes neither actions without rest nor non-published ones', () => {
		expect(routesFrom(actions).map(r => r.action)).not.toContain('users.authenticate');
		expect(routesFrom(actions).map(r => r.action)).not.toContain('users.hidden');
	});

	it('reads the body kind, JSON unless the action says otherwise', () => {
		const routes = routesFrom([...actions, { name: 'leads.import', action: { rest: 'POST /leads/import', body: 'csv' } }]);
		expect(routes.find(r => r.action === 'leads.import')?.body).toBe('csv');
		expect(routes.find(r => r.action === 'users.login')?.body).toBe('json');
	});

	it('refuses a malformed declaration loudly', () => {
		expect(() => routesFrom([{ name: 'x.y', action: { rest: 'FETCH /x' } }])).toThrow(/invalid rest route/);
		expect(() => routesFrom([{ name: 'x.y', action: { rest: 'POST /x', body: 'xml' } }])).toThrow(/invalid body kind/);
	});
});

import type { GreetingEntry, GreetingLanguage, SettingsParams, TenantGreetings, UserDto } from '../../../../services/users/users.params.ts';
import { http } from './http.ts';

// The users service's own contract, so the page and the server cannot drift apart.
export type { GreetingEntry, GreetingLanguage, SettingsParams, TenantGreetings };
export type User = UserDto;

export interface ApiToken {
	id: string;
	name: string;
	prefix: string;
	createdAt: string;
	lastUsedAt: string | null;
	expiresAt: string | null;
}

/** Returned once, at creation: `token` is the only copy of the secret the user will ever see. */
export interface CreatedApiToken {
	id: string;
	token: string;
	name: string;
	prefix: string;
	createdAt: string;
	expiresAt: string | null;
}

export interface Registration {
	email: string;
	name: string;
	password: string;
	timeZone: string;
}

export const register = (registration: Registration) => http.post<{ user: User }>('/api/auth/register', registration);

export const logIn = (email: string, password: string) => http.post<{ user: User }>('/api/auth/login', { email, password });

export const logOut = () => http.post<void>('/api/auth/logout');

export const fetchMe = () => http.get<User>('/api/me');

export const updateSettings = (settings: SettingsParams) => http.patch<User>('/api/me/settings', settings);

export const listTokens = () => http.get<ApiToken[]>('/api/tokens');

export const createToken = (name: string, expiresInDays?: number) =>
	http.post<CreatedApiToken>('/api/tokens', expiresInDays === undefined ? { name } : { name, expiresInDays });

export const revokeToken = (id: string) => http.delete(`/api/tokens/${encodeURIComponent(id)}`);

import type { ApiTokenDto, CreatedApiTokenDto, GreetingEntry, GreetingLanguage, RegisterParams, SettingsParams, TenantGreetings, UserDto } from '$server/users/users.params.ts';
import { http } from './http.ts';

// The users service's own contract, so the page and the server cannot drift apart.
export type { GreetingEntry, GreetingLanguage, SettingsParams, TenantGreetings };
export type User = UserDto;
export type ApiToken = ApiTokenDto;
export type CreatedApiToken = CreatedApiTokenDto;
/** The dashboard always sends the browser's zone. */
export type Registration = Required<RegisterParams>;

export const register = (registration: Registration) => http.post<{ user: User }>('/api/auth/register', registration);

export const logIn = (email: string, password: string) => http.post<{ user: User }>('/api/auth/login', { email, password });

export const logOut = () => http.post<void>('/api/auth/logout');

export const fetchMe = () => http.get<User>('/api/me');

export const updateSettings = (settings: SettingsParams) => http.patch<User>('/api/me/settings', settings);

export const listTokens = () => http.get<ApiToken[]>('/api/tokens');

export const createToken = (name: string, expiresInDays?: number) =>
	http.post<CreatedApiToken>('/api/tokens', expiresInDays === undefined ? { name } : { name, expiresInDays });

export const revokeToken = (id: string) => http.delete(`/api/tokens/${encodeURIComponent(id)}`);

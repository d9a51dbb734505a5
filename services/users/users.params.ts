/** The users service's public contract: parameters of its actions and the shapes it returns. */

export const registerParams = {
	$$strict: true,
	email: { type: 'email', normalize: true, max: 320 },
	name: { type: 'string', trim: true, min: 1, max: 200 },
	password: { type: 'string', min: 10, max: 200 },
	timeZone: { type: 'string', max: 64, optional: true },
} as const;
export interface RegisterParams {
	email: string;
	name: string;
	password: string;
	timeZone?: string;
}

export const loginParams = {
	$$strict: true,
	email: { type: 'email', normalize: true, max: 320 },
	password: { type: 'string', min: 1, max: 200 },
} as const;
export interface LoginParams {
	email: string;
	password: string;
}

export const settingsParams = {
	$$strict: true,
	timeZone: { type: 'string', min: 1, max: 64, optional: true },
	/** Default country for phone numbers typed without a country code; null clears it. */
	country: { type: 'string', trim: true, nullable: true, optional: true, max: 2, messages: { stringMax: 'Use a two-letter country code such as MY.' } },
} as const;
/** Any subset of the settings; what is left out stays as it is. */
export interface SettingsParams {
	timeZone?: string;
	country?: string | null;
}

export const createTokenParams = {
	$$strict: true,
	name: { type: 'string', trim: true, min: 1, max: 100 },
	expiresInDays: { type: 'number', integer: true, positive: true, max: 3650, optional: true },
} as const;
export interface CreateTokenParams {
	name: string;
	expiresInDays?: number;
}

export const tokenIdParams = { $$strict: true, id: { type: 'uuid' } } as const;
export interface TokenIdParams {
	id: string;
}

export const authenticateParams = {
	$$strict: true,
	sessionToken: { type: 'string', max: 200, optional: true },
	apiToken: { type: 'string', max: 200, optional: true },
} as const;
export interface AuthenticateParams {
	sessionToken?: string;
	apiToken?: string;
}

export interface UserDto {
	id: string;
	email: string;
	name: string;
	timeZone: string;
	/** ISO 3166 alpha-2 code, or null when the user has not chosen one. */
	country: string | null;
	createdAt: string;
}

export interface ApiTokenDto {
	id: string;
	name: string;
	prefix: string;
	createdAt: string;
	lastUsedAt: string | null;
	expiresAt: string | null;
}

/** Who a credential belongs to, for the gateway; `sessionHash` only for cookies. */
export interface Authentication {
	userId: string;
	sessionHash?: string;
	tokenHash?: string;
}

/** The users service's public contract: parameters of its actions and the shapes it returns. */
import type { GreetingEntry, GreetingLanguage, TenantGreetings } from '../shared/greetings.ts';

export type { GreetingEntry, GreetingLanguage, TenantGreetings };

/** How many lines one greeting set may have, and how long a greeting may be. */
export const GREETING_SET_MAX = 12;
export const GREETING_TEXT_MAX = 200;

/** One language's set as the tenant edits it; null goes back to the shipped set. */
const greetingSet = {
	type: 'array',
	optional: true,
	nullable: true,
	min: 1,
	max: GREETING_SET_MAX,
	messages: { arrayMin: 'Keep at least one greeting, or reset the set to the default.', arrayMax: `Use at most ${GREETING_SET_MAX} greetings in a set.`, array: 'Send a list of greetings, or null for the default.' },
	items: {
		type: 'object',
		strict: true,
		props: {
			fromHour: {
				type: 'number',
				integer: true,
				min: 0,
				max: 23,
				messages: { number: 'Choose an hour from 0 to 23.', numberInteger: 'Use a whole hour from 0 to 23.', numberMin: 'Choose an hour from 0 to 23.', numberMax: 'Choose an hour from 0 to 23.', required: 'Choose the hour this greeting starts at.' },
			},
			text: {
				type: 'string',
				trim: true,
				min: 1,
				max: GREETING_TEXT_MAX,
				messages: { string: 'Write the greeting as text.', stringMin: 'Write the greeting, or remove this line.', stringMax: `Use at most ${GREETING_TEXT_MAX} characters.`, required: 'Write the greeting, or remove this line.' },
			},
		},
	},
} as const;

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
	/** The tenant's own greeting sets, by language; a language left out stays as it is. */
	greetings: {
		type: 'object',
		optional: true,
		strict: true,
		props: { en: greetingSet, ms: greetingSet },
		messages: { object: 'Send the greeting sets by language code (en, ms).', objectStrict: 'There are greeting sets for en (English) and ms (Malay) only.' },
	},
	/** Whether reading a chat in the inbox tells the contact (blue ticks). */
	readReceipts: { type: 'boolean', optional: true },
	/** Whether numbers show "typing…" before each message. */
	typing: { type: 'boolean', optional: true },
} as const;
/** Any subset of the settings; what is left out stays as it is. */
export interface SettingsParams {
	timeZone?: string;
	country?: string | null;
	/** A set per language to use instead of the shipped one; null goes back to the shipped one. */
	greetings?: Partial<Record<GreetingLanguage, GreetingEntry[] | null>>;
	readReceipts?: boolean;
	typing?: boolean;
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
	/** The tenant's own greeting sets; a language left out greets with the shipped set (`GREETING_SETS`). */
	greetings: TenantGreetings;
	/** Reading a chat in the inbox sends read receipts (blue ticks) to the contact. */
	readReceipts: boolean;
	/** Numbers show "typing…" before each message, within their pacing gap. */
	typing: boolean;
	createdAt: string;
}

export const sendingSettingsParams = {
	$$strict: true,
	userIds: { type: 'array', max: 10_000, items: { type: 'uuid' } },
} as const;
export interface SendingSettingsParams {
	userIds: string[];
}

/** What sending a tenant's messages needs: its zone (quiet hours, greetings) and its own greeting sets. */
export interface SendingSettingsDto {
	timeZone: string;
	greetings: TenantGreetings;
	typing: boolean;
}

export interface ApiTokenDto {
	id: string;
	name: string;
	prefix: string;
	createdAt: string;
	lastUsedAt: string | null;
	expiresAt: string | null;
}

/** Answered once, at creation: `token` is the only copy of the secret the user will ever see. */
export interface CreatedApiTokenDto extends ApiTokenDto {
	token: string;
}

/** Who a credential belongs to, for the gateway; `sessionHash` only for cookies. */
export interface Authentication {
	userId: string;
	sessionHash?: string;
	tokenHash?: string;
	/** When the credential stops working (ISO 8601); absent for a token that never expires. */
	expiresAt?: string;
}

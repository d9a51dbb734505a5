import { createHash, randomBytes } from 'node:crypto';

/** Session cookies and API tokens are random; the database keeps only their SHA-256. */
export function sha256(value: string): string {
	return createHash('sha256').update(value).digest('hex');
}

export function newSessionToken(): string {
	return randomBytes(32).toString('base64url');
}

export const API_TOKEN_PREFIX = 'fc_';

export function newApiToken(): string {
	return API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** Canonical IANA name for a zone Intl accepts (aliases and case fixed), or undefined. */
export function canonicalTimeZone(zone: string): string | undefined {
	try {
		return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
	} catch {
		return undefined;
	}
}

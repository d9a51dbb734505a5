/** Facts the users service broadcasts. Each carries `userId`: it is delivered to that user only. */
import { browserEventNames } from '../shared/browser-events.ts';
import type { TenantGreetings } from '../shared/greetings.ts';

export const USER_SETTINGS_CHANGED = 'user.settings-changed';
export interface UserSettingsChanged {
	userId: string;
	timeZone: string;
	country: string | null;
	name: string;
	/** The tenant's own greeting sets (every node's devices service renders with them). */
	greetings: TenantGreetings;
	readReceipts: boolean;
	typing: boolean;
}

/** The users events the user's own browser tabs receive, with their payloads. */
export interface UserBrowserEvents {
	[USER_SETTINGS_CHANGED]: UserSettingsChanged;
}
export const USER_BROWSER_EVENTS = browserEventNames<UserBrowserEvents>({ [USER_SETTINGS_CHANGED]: true });

/** A session ended (logout or expiry); gateways drop it from their caches and close its sockets. */
export const USER_SESSION_ENDED = 'user.session-ended';
export interface UserSessionEnded {
	userId: string;
	sessionHash: string;
}

export const USER_TOKEN_REVOKED = 'user.token-revoked';
export interface UserTokenRevoked {
	userId: string;
	tokenHash: string;
}

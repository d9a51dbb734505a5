import { ApiError } from '../api/http.ts';
import { fetchMe, logIn, logOut, register, updateSettings, type GreetingEntry, type GreetingLanguage, type User } from '../api/users.ts';
import { onReconnect, onSignedOut, subscribe } from '../api/ws.ts';

class Session {
	user = $state<User | null>(null);
	loading = $state(true);
	/** Set when the current user could not be loaded for a reason other than "not logged in". */
	loadError = $state<unknown>(null);

	async load(): Promise<void> {
		this.loading = true;
		this.loadError = null;
		try {
			await this.refresh();
		} catch (error) {
			this.loadError = error;
		} finally {
			this.loading = false;
		}
	}

	/** Re-reads the current user; a 401 means the session ended elsewhere. */
	async refresh(): Promise<void> {
		try {
			this.user = await fetchMe();
		} catch (error) {
			if (error instanceof ApiError && error.status === 401) this.user = null;
			else throw error;
		}
	}

	async logIn(email: string, password: string): Promise<void> {
		this.user = (await logIn(email, password)).user;
	}

	async register(name: string, email: string, password: string): Promise<void> {
		const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
		this.user = (await register({ name, email, password, timeZone })).user;
	}

	async logOut(): Promise<void> {
		try {
			await logOut();
		} catch (error) {
			// Leave locally anyway: the user asked to go, and the cookie expires on its own.
			console.error('Could not end the session on the server', error);
		}
		this.user = null;
	}

	async setTimeZone(timeZone: string): Promise<void> {
		this.user = await updateSettings({ timeZone });
	}

	async setCountry(country: string | null): Promise<void> {
		this.user = await updateSettings({ country });
	}

	/** Whether reading a chat in the inbox sends read receipts (blue ticks). */
	async setReadReceipts(readReceipts: boolean): Promise<void> {
		this.user = await updateSettings({ readReceipts });
	}

	/** Whether numbers show "typing…" before each message. */
	async setTyping(typing: boolean): Promise<void> {
		this.user = await updateSettings({ typing });
	}

	/** The tenant's own set for one language; null goes back to the shipped set. */
	async setGreetings(language: GreetingLanguage, set: GreetingEntry[] | null): Promise<void> {
		this.user = await updateSettings({ greetings: { [language]: set } });
	}
}

export const session = new Session();

subscribe('user.settings-changed', ({ userId, timeZone, country, name, greetings, readReceipts, typing }) => {
	// Ids travel as JSON; compare as text so a numeric id would match too.
	if (session.user && String(session.user.id) === String(userId)) {
		session.user = { ...session.user, timeZone, country, name, greetings, readReceipts, typing };
	}
});

onReconnect(() => {
	session.refresh().catch((error: unknown) => console.error('Could not resynchronise the session', error));
});

// A 401 on the next read shows the sign-in page.
onSignedOut(() => {
	session.refresh().catch((error: unknown) => console.error('Could not re-read the session', error));
});

import { fetchUnread } from '../api/inbox.ts';
import { onReconnect, subscribe } from '../api/ws.ts';

/** Unread inbox messages per number of the signed-in user, for the menu: live, and read again after a reconnect. */
class Unread {
	devices = $state<Record<string, number>>({});
	total = $derived(Object.values(this.devices).reduce((sum, n) => sum + n, 0));
	#stops: (() => void)[] = [];
	#read = 0;

	start(): void {
		if (this.#stops.length) return;
		this.#stops = [
			subscribe('inbox.chat-updated', ({ deviceId, deviceUnread }) => {
				this.devices = { ...this.devices, [deviceId]: deviceUnread };
			}),
			subscribe('device.deleted', ({ deviceId }) => {
				const { [deviceId]: _gone, ...rest } = this.devices;
				this.devices = rest;
			}),
			onReconnect(() => void this.load()),
		];
		void this.load();
	}

	/** Forgets the counts, so another user never sees them. */
	stop(): void {
		for (const stop of this.#stops) stop();
		this.#stops = [];
		this.#read += 1;
		this.devices = {};
	}

	async load(): Promise<void> {
		const read = ++this.#read;
		try {
			const { devices } = await fetchUnread();
			if (read === this.#read && this.#stops.length) this.devices = devices;
		} catch {
			// The menu keeps what it had; the next reconnect or message corrects it.
		}
	}
}

export const unread = new Unread();

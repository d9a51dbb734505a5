import {
	fetchDemoMode,
	linkDemoPhone,
	listDemoContactMessages,
	listDemoContacts,
	type DemoContactDto,
	type DemoContactMessageDto,
} from '../api/demo.ts';

// The WhatsApp double sends no events for what its contacts receive, so the page asks again this often.
const POLL_EVERY_MS = 2_000;

/** Demo mode: a fake phone that can link devices, offered only when the server runs one. */
class Demo {
	enabled = $state(false);
	/** Whether the server has answered, so "not in demo mode" can be told from "not asked yet". */
	known = $state(false);
	/** The demo contacts, once `loadContacts` has read them (they stay the same while the demo runs). */
	contacts = $state<DemoContactDto[]>([]);
	#checked: Promise<void> | undefined;
	#contactsRead: Promise<void> | undefined;

	/** Asks the server once per page load; a failed check is retried next time. */
	check(): Promise<void> {
		this.#checked ??= fetchDemoMode().then(
			(enabled) => {
				this.enabled = enabled;
				this.known = true;
			},
			(error: unknown) => {
				this.#checked = undefined;
				console.error('Could not tell whether demo mode is on', error);
			},
		);
		return this.#checked;
	}

	link(deviceId: string): Promise<void> {
		return linkDemoPhone(deviceId);
	}

	/** Reads the demo contacts once, in demo mode only; a failure leaves the list empty and is retried next time. */
	loadContacts(): Promise<void> {
		// Shared while it runs, so the page opening and a quick click ask only once.
		this.#contactsRead ??= this.#readContacts();
		return this.#contactsRead;
	}

	async #readContacts(): Promise<void> {
		await this.check();
		if (!this.enabled) {
			this.#contactsRead = undefined;
			return;
		}
		try {
			this.contacts = await listDemoContacts();
		} catch (error) {
			this.#contactsRead = undefined;
			console.error('Could not read the demo contacts', error);
		}
	}
}

export const demo = new Demo();

export interface DemoContactInbox extends DemoContactDto {
	messages: DemoContactMessageDto[];
}

/** The demo contacts and what each received from the user's numbers, read again while the Demo contacts page is open. */
class DemoContacts {
	list = $state<DemoContactInbox[]>([]);
	loaded = $state(false);
	error = $state<unknown>(null);
	#timer: ReturnType<typeof setTimeout> | undefined;
	/** Bumped by start and stop, so a round still running from an earlier visit ends there. */
	#visit = 0;

	start(): void {
		void this.#poll(++this.#visit);
	}

	stop(): void {
		this.#visit += 1;
		clearTimeout(this.#timer);
		this.list = [];
		this.loaded = false;
		this.error = null;
	}

	async #poll(visit: number): Promise<void> {
		try {
			const contacts = await listDemoContacts();
			const inboxes = await Promise.all(contacts.map(async (contact) => ({ ...contact, messages: await listDemoContactMessages(contact.phone) })));
			if (visit !== this.#visit) return;
			this.list = inboxes;
			this.loaded = true;
			this.error = null;
		} catch (error) {
			if (visit !== this.#visit) return;
			this.error = error;
		}
		// The next round starts when this one ended, so slow answers never pile up.
		this.#timer = setTimeout(() => void this.#poll(visit), POLL_EVERY_MS);
	}
}

export const demoContacts = new DemoContacts();

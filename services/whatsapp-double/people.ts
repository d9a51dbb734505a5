import type { AccountRecord, ContactRecord, Directory } from './accounts.ts';
import { Contact, type ContactServices } from './contacts.ts';
import { Phone, type PhoneServices } from './phone.ts';
import { SignalPeer } from './signal-peer.ts';

export interface NewAccount {
	/** E.164 digits without `+`; a fresh test number when omitted. */
	phone?: string;
	name?: string;
	/** Business accounts hand their name to companions at pairing (Baileys then has a push name). */
	business?: boolean;
}

export interface NewContact {
	phone?: string;
	name?: string;
	/** How its messages are addressed: from its LID with `sender_pn` (default, as WhatsApp does now), or from its number. */
	addressing?: 'lid' | 'pn';
	/** Send delivery receipts by itself as messages arrive (default true). */
	autoDeliveryReceipts?: boolean;
}

/** Creates and finds the double's accounts (as their Phone) and contacts. */
export class People {
	private readonly phones = new Map<string, Phone>();
	private readonly contactHandles = new Map<string, Contact>();

	constructor(
		private readonly directory: Directory,
		private readonly services: ContactServices & PhoneServices,
		private readonly changed: () => void,
	) {}

	addAccount({ phone, name, business = false }: NewAccount = {}): Phone {
		const number = phone ?? this.directory.allocatePhone();
		const record: AccountRecord = {
			kind: 'account',
			phone: number,
			lid: this.directory.allocateLid(),
			name: name ?? `Account ${number.slice(-4)}`,
			business,
			primary: SignalPeer.create(),
			companions: new Map(),
			nextDeviceId: 1,
			nextKeyIndex: 1,
		};
		this.directory.add(record);
		this.changed();
		return this.account(number)!;
	}

	addContact({ phone, name, addressing = 'lid', autoDeliveryReceipts = true }: NewContact = {}): Contact {
		const number = phone ?? this.directory.allocatePhone();
		const record: ContactRecord = {
			kind: 'contact',
			phone: number,
			lid: this.directory.allocateLid(),
			name: name ?? `Contact ${number.slice(-4)}`,
			peer: SignalPeer.create(),
			addressing,
			autoDeliveryReceipts,
		};
		this.directory.add(record);
		this.changed();
		return this.contact(number)!;
	}

	account(phone: string): Phone | undefined {
		const record = this.directory.byNumber(phone);
		if (record?.kind !== 'account') return undefined;
		let handle = this.phones.get(phone);
		if (!handle) this.phones.set(phone, (handle = new Phone(record, this.services)));
		return handle;
	}

	contact(phone: string): Contact | undefined {
		const record = this.directory.byNumber(phone);
		if (record?.kind !== 'contact') return undefined;
		let handle = this.contactHandles.get(phone);
		if (!handle) this.contactHandles.set(phone, (handle = new Contact(record, this.services)));
		return handle;
	}

	accounts(): Phone[] {
		return this.directory.users().flatMap(u => (u.kind === 'account' ? [this.account(u.phone)!] : []));
	}

	contacts(): Contact[] {
		return this.directory.users().flatMap(u => (u.kind === 'contact' ? [this.contact(u.phone)!] : []));
	}
}

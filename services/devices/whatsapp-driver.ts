/**
 * The seam between a device actor and WhatsApp. The production implementation is Baileys
 * (`baileys-driver.ts`); the tests run that same implementation against the WhatsApp double.
 */

/** Why a socket closed, in the actor's words (the driver maps protocol codes to these). */
export type CloseKind =
	/** WhatsApp asks for a new socket (515 after pairing): a normal step. */
	| 'restart'
	/** The session is gone (logged out here or unlinked from the phone, 401; or unusable creds). */
	| 'logged_out'
	/** The account may not connect (403). */
	| 'banned'
	/** Another socket logged in as this device (440): must never happen with leases. */
	| 'conflict'
	/** Pairing ended without a scan (the QR codes ran out). */
	| 'pairing_expired'
	/** Anything else: network, timeouts, server errors. Worth a retry. */
	| 'lost'
	/** We ended the socket ourselves. */
	| 'ended';

export interface CloseReason {
	kind: CloseKind;
	code?: number;
	message: string;
}

/** The WhatsApp account behind a linked device. */
export interface LinkedAccount {
	/** Digits only, as WhatsApp writes numbers. */
	phone: string;
	jid: string;
	lid: string | null;
}

/** What a device sends: text, or an image with the text as its caption. */
export interface OutgoingMessage {
	/** Digits only. */
	to: string;
	/** Chosen before sending (stored in the outbox), so receipts and crash recovery can find the message. */
	id: string;
	text: string;
	image?: { data: Buffer; mimetype: string };
}

export interface Receipt {
	id: string;
	status: 'delivered' | 'read';
}

/**
 * A message of one of the number's personal chats, either way, as the socket saw it: what a
 * contact wrote, and what the number sent from elsewhere (the phone). Fleetcast's own sends are
 * not repeated here; the dispatcher reports those.
 */
export interface ChatMessageSeen {
	id: string;
	fromMe: boolean;
	/** The contact's number, digits only, when WhatsApp told it (or the LID maps to it). */
	phone: string | null;
	/** The contact's LID JID (`<digits>@lid`), when known. */
	lid: string | null;
	/** The JID the message came by: its read receipt goes back there. */
	remoteJid: string;
	/** The name the contact gave WhatsApp (their own messages only). */
	pushName: string | null;
	/** The text, or the image's caption ('' for none). */
	text: string;
	/** A photo: its bytes, or why they could not be had. */
	image?: { data: Buffer; mimetype: string } | { error: string };
	at: Date;
}

/** A contact's message read on the phone (or another linked device). */
export interface ReadElsewhere {
	id: string;
}

/** A contact's message to mark read: its id and the JID it came by. */
export interface ReadKey {
	id: string;
	remoteJid: string;
}

/** The recipient has no WhatsApp account: the message fails without harming the number. */
export class NotOnWhatsAppError extends Error {
	constructor(readonly phone: string) {
		super(`not on WhatsApp: +${phone} has no WhatsApp account`);
	}
}

/** WhatsApp's server refused the message (an ack with an error code, such as 463 or 479): it was not delivered. */
export class RefusedError extends Error {
	constructor(readonly code: string) {
		super(`WhatsApp refused the message (error ${code})`);
	}
}

/** The socket was closed before the message left: it can be sent later as if never tried. */
export class NotSentError extends Error {}

export interface DriverHandlers {
	qr(qr: string): void;
	open(account: LinkedAccount): void;
	close(reason: CloseReason): void;
	receipts(receipts: Receipt[]): void;
	/** Chat messages in the order the socket delivered them. */
	messages(messages: ChatMessageSeen[]): void;
	readElsewhere(ids: string[]): void;
}

export interface WhatsAppDriver {
	/** Opens a socket with the stored session, or starts pairing when there is none. */
	connect(handlers: DriverHandlers): Promise<void>;
	/** While pairing: ask for an 8-character code for `phone` (digits) instead of a QR scan. */
	requestPairingCode(phone: string): Promise<string>;
	/** Unlinks this companion from the phone, then closes (`logged_out`). */
	logout(): Promise<void>;
	/**
	 * Sends one message; resolves when WhatsApp's server took it. Throws NotOnWhatsAppError for a
	 * number without WhatsApp, RefusedError when the server refused it, and NotSentError when it
	 * certainly did not leave.
	 */
	send(message: OutgoingMessage): Promise<void>;
	/** Shows "typing…" in the chat with `to` (digits), or stops showing it. */
	typing(to: string, on: boolean): Promise<void>;
	/** Tells the contacts these messages were read (blue ticks, or only the account's own devices when its privacy setting hides them). */
	markRead(keys: ReadKey[]): Promise<void>;
	/** Closes the socket without logging out; resolves once it is closed. */
	end(): Promise<void>;
}

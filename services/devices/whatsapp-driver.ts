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

/** A message a contact wrote to this number. */
export interface InboundMessage {
	id: string;
	/** The sender's number, digits only. */
	from: string;
	text: string;
	at: Date;
}

/** The recipient has no WhatsApp account: the message fails without harming the number. */
export class NotOnWhatsAppError extends Error {
	constructor(readonly phone: string) {
		super(`not on WhatsApp: +${phone} has no WhatsApp account`);
	}
}

/** The socket was closed before the message left: it can be sent later as if never tried. */
export class NotSentError extends Error {}

export interface DriverHandlers {
	qr(qr: string): void;
	open(account: LinkedAccount): void;
	close(reason: CloseReason): void;
	receipts(receipts: Receipt[]): void;
	inbound(message: InboundMessage): void;
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
	 * number without WhatsApp and NotSentError when it certainly did not leave.
	 */
	send(message: OutgoingMessage): Promise<void>;
	/** Closes the socket without logging out; resolves once it is closed. */
	end(): Promise<void>;
}

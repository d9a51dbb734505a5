/** The demo service's public contract: what its routes answer. */

/** `GET /api/demo/contacts`: a fake contact of the WhatsApp double. */
export interface DemoContactDto {
	name: string;
	/** E.164 with the plus. */
	phone: string;
}

/** `GET /api/demo/contacts/:phone/messages`: one message the contact received from one of the caller's numbers. */
export interface DemoContactMessageDto {
	id: string;
	/** The sending number, E.164 with the plus. */
	from: string;
	text: string | null;
	image: { bytes: number; mimetype: string | null } | null;
	at: string;
}

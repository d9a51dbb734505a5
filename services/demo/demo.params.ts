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

export const contactSendParams = {
	$$strict: true,
	phone: { type: 'string', max: 20 },
	deviceId: { type: 'uuid', messages: { uuid: 'No such device.', required: 'Choose the number to write to.' } },
	text: { type: 'string', trim: true, min: 1, max: 4096, messages: { stringMin: 'Write a message first.', required: 'Write a message first.', stringMax: 'WhatsApp takes at most 4096 characters.' } },
} as const;
/** `POST /api/demo/contacts/:phone/send`: the contact writes `text` to the caller's number `deviceId`. */
export interface ContactSendParams {
	phone: string;
	deviceId: string;
	text: string;
}

export const DEMO_FAULTS = ['fail-sends', 'reachout-timelock', 'ban', 'drop', 'none'] as const;
export type DemoFault = (typeof DEMO_FAULTS)[number];
export const faultParams = {
	$$strict: true,
	id: { type: 'uuid', messages: { uuid: 'No such device.' } },
	fault: { type: 'enum', values: DEMO_FAULTS, messages: { enumValue: `Use one of ${DEMO_FAULTS.join(', ')}.`, required: `Say which fault: ${DEMO_FAULTS.join(', ')}.` } },
} as const;
/** `POST /api/demo/devices/:id/fault`. */
export interface FaultParams {
	id: string;
	fault: DemoFault;
}

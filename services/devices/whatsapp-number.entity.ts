import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * Whether a phone number is on WhatsApp, as learned at a first send to it: later sends within
 * NUMBER_CHECK_TTL trust it instead of asking WhatsApp again (many look-ups of numbers are what
 * gets a number flagged). Not a tenant's data: a fact about the number.
 */
export const WhatsAppNumber = defineEntity({
	name: 'WhatsAppNumber',
	tableName: 'whatsapp_numbers',
	properties: {
		/** Digits only, with the country code. */
		phone: p.string().length(20).primary(),
		onWhatsApp: p.boolean().fieldName('on_whatsapp'),
		/** The JID WhatsApp answered (null when the number is not on WhatsApp). */
		jid: p.string().length(80).nullable(),
		checkedAt: p.datetime(),
	},
});
export type WhatsAppNumber = InferEntity<typeof WhatsAppNumber>;

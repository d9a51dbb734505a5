import { composeMessage, tenantGreeting, WHATSAPP_TEXT_LIMIT, type ComposeLead, type TenantGreetings } from './compose.ts';

/** What rendering needs to know about the message's tenant. */
export interface RenderTenant {
	/** For the greeting when the recipient's number tells no zone. */
	timeZone: string;
	/** The tenant's own greeting sets; a language without one greets with the shipped set. */
	greetings?: TenantGreetings | null;
}

/** A template for one recipient: the source's text and greeting, the lead's fields now, and the seed. */
export interface RenderInput {
	template: string;
	greeting: string;
	/** Picks the spintax options: the message id, so a re-render is identical. */
	seed: string;
	/** E.164. */
	recipient: string;
	lead: Omit<ComposeLead, 'phone'>;
}

/**
 * The text a recipient gets: the template rendered with the lead's fields, spintax seeded by the
 * message id, the greeting by the recipient's local hour from the tenant's set as it is now (an
 * edit reaches messages queued before it).
 */
export function renderMessage(input: RenderInput, tenant: RenderTenant, now = new Date()): string {
	const greeting = tenantGreeting(input.greeting, tenant.greetings);
	const text = composeMessage(input.template, { ...input.lead, phone: input.recipient }, { seed: input.seed, greeting, timeZone: tenant.timeZone, now });
	// A lead's long name or notes can push a template that checked out past the limit: never send it cut short.
	if (text.length > WHATSAPP_TEXT_LIMIT) throw new MessageTooLongError(text.length);
	return text;
}

/** A message that can never be sent as it is: it fails at once, with this reason. */
export class CannotBeSentError extends Error {}

export class MessageTooLongError extends CannotBeSentError {
	constructor(readonly length: number) {
		super(`too long: the message for this lead has ${length} characters; WhatsApp takes at most ${WHATSAPP_TEXT_LIMIT}`);
	}
}

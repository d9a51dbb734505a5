import { composeMessage, tenantGreeting, WHATSAPP_TEXT_LIMIT, type ComposeLead, type TenantGreetings } from './compose.ts';
import type { ClaimedMessage } from './outbox.ts';

/** What rendering needs to know about the message's tenant. */
export interface RenderTenant {
	/** For the greeting when the recipient's number tells no zone. */
	timeZone: string;
	/** The tenant's own greeting sets; a language without one greets with the shipped set. */
	greetings?: TenantGreetings | null;
}

/**
 * The text a recipient gets: the template rendered with the recipient's lead fields, spintax
 * seeded by the message id (a re-render is identical), the greeting by the recipient's local hour
 * from the tenant's set as it is now (an edit reaches messages queued before it).
 */
export function renderMessage(message: Pick<ClaimedMessage, 'body' | 'vars' | 'greeting' | 'waMessageId' | 'recipient'>, tenant: RenderTenant, now = new Date()): string {
	const lead = { phone: message.recipient, ...message.vars } as ComposeLead;
	const greeting = tenantGreeting(message.greeting, tenant.greetings);
	const text = composeMessage(message.body, lead, { seed: message.waMessageId, greeting, timeZone: tenant.timeZone, now });
	// A lead's long name or notes can push a template that checked out past the limit: never send it cut short.
	if (text.length > WHATSAPP_TEXT_LIMIT) throw new MessageTooLongError(text.length);
	return text;
}

export class MessageTooLongError extends Error {
	constructor(readonly length: number) {
		super(`too long: the message for this lead has ${length} characters; WhatsApp takes at most ${WHATSAPP_TEXT_LIMIT}`);
	}
}

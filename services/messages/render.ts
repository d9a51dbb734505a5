import { composeMessage, WHATSAPP_TEXT_LIMIT, type ComposeLead, type GreetingChoice } from './compose.ts';
import type { ClaimedMessage } from './outbox.ts';

/**
 * The text a recipient gets: the template rendered with the recipient's lead fields, spintax
 * seeded by the message id (a re-render is identical), the greeting by the recipient's local hour.
 */
export function renderMessage(message: Pick<ClaimedMessage, 'body' | 'vars' | 'greeting' | 'waMessageId' | 'recipient'>, timeZone: string, now = new Date()): string {
	const lead = { phone: message.recipient, ...message.vars } as ComposeLead;
	const text = composeMessage(message.body, lead, { seed: message.waMessageId, greeting: message.greeting as GreetingChoice, timeZone, now });
	// A lead's long name or notes can push a template that checked out past the limit: never send it cut short.
	if (text.length > WHATSAPP_TEXT_LIMIT) throw new MessageTooLongError(text.length);
	return text;
}

export class MessageTooLongError extends Error {
	constructor(readonly length: number) {
		super(`too long: the message for this lead has ${length} characters; WhatsApp takes at most ${WHATSAPP_TEXT_LIMIT}`);
	}
}

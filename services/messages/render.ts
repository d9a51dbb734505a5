import { composeMessage, type ComposeLead, type GreetingChoice } from './compose.ts';
import type { ClaimedMessage } from './outbox.ts';

/**
 * The text a recipient gets: the template rendered with the recipient's lead fields, spintax
 * seeded by the message id (a re-render is identical), the greeting by the recipient's local hour.
 */
export function renderMessage(message: Pick<ClaimedMessage, 'body' | 'vars' | 'greeting' | 'waMessageId' | 'recipient'>, timeZone: string, now = new Date()): string {
	const lead = { phone: message.recipient, ...message.vars } as ComposeLead;
	return composeMessage(message.body, lead, { seed: message.waMessageId, greeting: message.greeting as GreetingChoice, timeZone, now });
}

import type { ClaimedMessage } from './outbox.ts';

/** The text a recipient gets: the template rendered with the recipient's fields. */
export function renderMessage(message: Pick<ClaimedMessage, 'body' | 'vars' | 'greeting' | 'waMessageId'>): string {
	return message.body.replace(/\{name\}/g, String(message.vars.name ?? ''));
}

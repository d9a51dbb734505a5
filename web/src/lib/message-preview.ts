/**
 * What the editor's preview bubble shows: the server's own composer applied to a sample lead
 * (placeholders, one spintax pick per seed, greeting, line breaks), then WhatsApp's formatting.
 */
import { composeMessage, PLACEHOLDERS, tenantGreeting, type ComposeLead, type TenantGreetings } from '$server/messages/compose.ts';
import { parseTemplate } from '$server/shared/template.ts';
import { formatSpans, type FormatSpan } from './whatsapp-format.ts';

export const SAMPLE_LEAD: ComposeLead = { name: 'Aisha Rahman', phone: '+60123456789', niches: ['shoes'], targetStatus: 'prospect', notes: 'Met at the expo' };

export interface PreviewOptions {
	greeting: string;
	/** The tenant's own greeting sets: the preview greets as the message will. */
	greetings?: TenantGreetings;
	/** The tenant's zone, for the greeting when the sample's number said nothing. */
	timeZone: string;
	/** When it is sent: the greeting follows the sample lead's local hour then. */
	at: Date;
	/** Another seed, another spintax pick ("shuffle"). */
	seed: string;
}

const PLACEHOLDER_SET: ReadonlySet<string> = new Set(PLACEHOLDERS);

/** The text the sample lead would receive. */
export function previewText(template: string, { greeting, greetings, timeZone, at, seed }: PreviewOptions): string {
	return composeMessage(template, SAMPLE_LEAD, { seed, greeting: tenantGreeting(greeting, greetings), timeZone, now: at });
}

/** The preview as styled runs: rendered as text nodes, never as markup. */
export function previewSpans(template: string, options: PreviewOptions): FormatSpan[] {
	return formatSpans(previewText(template, options));
}

/** Whether shuffling could show another text. */
export function hasSpintax(template: string): boolean {
	// Nested spintax lives inside a top-level choice, so the top level tells.
	return parseTemplate(template, PLACEHOLDER_SET).nodes.some(node => node.kind === 'spin');
}

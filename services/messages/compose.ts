/**
 * Composing one message for one recipient: placeholders, spintax, greeting and line breaks.
 * Pure (no I/O): the messages service calls it per recipient at send time, seeded with the
 * message id, so the same message always renders to the same text.
 */
import { GREETING_SETS, greetingAt, hourIn, recipientTimeZone, type GreetingSet, type TenantGreetings } from '../shared/greetings.ts';
import { cleanLeadName, firstNameOf } from './lead-name.ts';
import { longestRendering, parseTemplate, PLACEHOLDER_SET, renderTemplate, type Placeholder, type TemplateNode, type TemplateProblem } from '../shared/template.ts';

export {
	GREETING_LANGUAGES,
	GREETING_SETS,
	countryZone,
	greetingAt,
	hourIn,
	recipientTimeZone,
	type GreetingEntry,
	type GreetingLanguage,
	type GreetingSet,
	type TenantGreetings,
} from '../shared/greetings.ts';
export { cleanLeadName, firstNameOf } from './lead-name.ts';
export { checkGreeting, expandLineBreaks, PLACEHOLDERS, type Placeholder, type TemplateProblem, type TemplateProblemCode } from '../shared/template.ts';

/** The lead fields a template can use. */
export interface ComposeLead {
	name?: string | null;
	/** E.164, with or without the leading "+". */
	phone: string;
	niches?: readonly string[] | null;
	targetStatus?: string | null;
	notes?: string | null;
}


/** `'none'`, a shipped set, or the tenant's own set. */
export type GreetingChoice = 'none' | keyof typeof GREETING_SETS | GreetingSet;

export interface ComposeOptions {
	/** Picks the spintax options; the message id, so a re-render gives the same text. */
	seed: string;
	/** Replaces the seeded generator (tests). Returns numbers in [0, 1). */
	random?: () => number;
	/** Greeting line before the message, by the recipient's local hour. Default `'none'`. */
	greeting?: GreetingChoice;
	/** The tenant's zone: used when the number's country says nothing. Default `'UTC'`. */
	timeZone?: string;
	/** The moment whose local hour picks the greeting (the send time). Default now. */
	now?: Date;
	/** What `{name}` and `{first_name}` become when the lead has no usable name. Default `'there'`. */
	nameFallback?: string;
}

/** WhatsApp refuses longer text messages. */
export const WHATSAPP_TEXT_LIMIT = 4096;
/** How long a placeholder is assumed to be when checking a template's length. */
const PLACEHOLDER_LENGTH = 40;
/** Between the greeting line and the message. */
const GREETING_SEPARATOR = '\n\n';

const asText = (value: string | null | undefined) => (value ?? '').replace(/\r\n?/g, '\n').trim();

/** The text of each placeholder for this lead, each worked out only if the template asks for it. */
export function placeholderValues(lead: ComposeLead, nameFallback = 'there'): (field: Placeholder) => string {
	let name: string | null | undefined;
	const cleanName = () => (name === undefined ? (name = cleanLeadName(lead.name)) : name);
	const values: Record<Placeholder, () => string> = {
		name: () => cleanName() ?? nameFallback,
		first_name: () => firstNameOf(cleanName()) ?? nameFallback,
		phone: () => (lead.phone.startsWith('+') ? lead.phone : `+${lead.phone}`),
		niche: () => (lead.niches ?? []).map(asText).filter(Boolean).join(', '),
		target_status: () => asText(lead.targetStatus),
		notes: () => asText(lead.notes),
	};
	return field => values[field]();
}

const parsedTemplates = new Map<string, TemplateNode[]>();

/** A template's parse tree; a campaign's one template is parsed once, not once per recipient. */
function templateNodes(template: string): TemplateNode[] {
	let nodes = parsedTemplates.get(template);
	if (!nodes) {
		nodes = parseTemplate(template, PLACEHOLDER_SET).nodes;
		if (parsedTemplates.size >= 200) parsedTemplates.delete(parsedTemplates.keys().next().value!);
		parsedTemplates.set(template, nodes);
	}
	return nodes;
}

/**
 * The message `template` becomes for `lead`. Never throws on a bad template: unbalanced braces
 * are sent as typed ({@link checkTemplate} reports them before anything is saved).
 */
export function composeMessage(template: string, lead: ComposeLead, options: ComposeOptions): string {
	const random = options.random ?? seededRandom(options.seed);
	const value = placeholderValues(lead, options.nameFallback);
	const body = renderTemplate(templateNodes(template), field => value(field as Placeholder), random).trim();
	const set = greetingSet(options.greeting);
	if (!set?.length) return body;
	const zone = recipientTimeZone(lead.phone, options.timeZone ?? 'UTC');
	const entry = greetingAt(set, hourIn(zone, options.now ?? new Date()))!;
	// A greeting without a name reads "Good morning," not "Good morning there,".
	const unnamed = cleanLeadName(lead.name) === null;
	const greetingValues = (field: string) => (unnamed && (field === 'name' || field === 'first_name') ? '' : value(field as Placeholder));
	const greeting = renderTemplate(templateNodes(entry.text), greetingValues, options.random ?? seededRandom(`${options.seed}/greeting`)).trim();
	return greeting ? greeting + GREETING_SEPARATOR + body : body;
}

function greetingSet(choice: GreetingChoice | undefined): GreetingSet | undefined {
	if (choice === undefined || choice === 'none') return undefined;
	return typeof choice === 'string' ? GREETING_SETS[choice] : choice;
}

/** A message's greeting word (`none`, `en`, `ms`) as the tenant greets: its own version of the set, else the shipped one. */
export function tenantGreeting(word: string, own: TenantGreetings | null | undefined): GreetingChoice {
	if (!Object.hasOwn(GREETING_SETS, word)) return 'none';
	const language = word as keyof typeof GREETING_SETS;
	return own?.[language] ?? language;
}

/**
 * What is wrong with a template, for the campaign editor and the API: empty, unbalanced braces,
 * unknown placeholders (a warning: they are sent as typed), or longer than WhatsApp allows when
 * every spintax picks its longest option (placeholders counted as 40 characters each).
 */
export function checkTemplate(template: string, options: { greeting?: GreetingChoice } = {}): TemplateProblem[] {
	if (!template.trim()) return [{ severity: 'error', code: 'EMPTY', message: 'Write the message first.' }];
	const { nodes, problems } = parseTemplate(template, PLACEHOLDER_SET);
	const set = greetingSet(options.greeting) ?? [];
	const longestGreeting = Math.max(0, ...set.map(entry => longestRendering(parseTemplate(entry.text, PLACEHOLDER_SET).nodes, PLACEHOLDER_LENGTH) + GREETING_SEPARATOR.length));
	const longest = longestRendering(nodes, PLACEHOLDER_LENGTH) + longestGreeting;
	if (longest > WHATSAPP_TEXT_LIMIT) {
		problems.push({
			severity: 'error',
			code: 'TOO_LONG',
			message: `The longest version of this message has about ${longest} characters; WhatsApp allows ${WHATSAPP_TEXT_LIMIT}. Shorten it or its longest options.`,
		});
	}
	return problems;
}

/**
 * A deterministic generator of numbers in [0, 1) for a seed string: the string is hashed
 * (cyrb53-style mixing) into the state of a mulberry32 generator.
 */
export function seededRandom(seed: string): () => number {
	let h1 = 0xdeadbeef;
	let h2 = 0x41c6ce57;
	for (let i = 0; i < seed.length; i++) {
		const ch = seed.charCodeAt(i);
		h1 = Math.imul(h1 ^ ch, 2654435761);
		h2 = Math.imul(h2 ^ ch, 1597334677);
	}
	let state = (Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)) >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/**
 * The message template language: text, placeholders `{name}`, spintax `{Hi|Hello|}` (nested,
 * options may be empty) and line-break tokens. Parsed once into a tree whose placeholders are
 * leaves, so a value is never read as spintax and spintax never eats a placeholder.
 */

export type TemplateNode =
	| { kind: 'text'; text: string }
	| { kind: 'field'; field: string }
	| { kind: 'spin'; options: TemplateNode[][] };

export type TemplateProblemCode = 'EMPTY' | 'UNCLOSED_BRACE' | 'UNOPENED_BRACE' | 'UNKNOWN_PLACEHOLDER' | 'TOO_LONG';

export interface TemplateProblem {
	/** Errors stop a campaign from being saved; warnings are shown and allowed. */
	severity: 'error' | 'warning';
	code: TemplateProblemCode;
	message: string;
	/** Offset in the template where the problem is, when it has one place. */
	at?: number;
}

/** The lead fields a template can name. */
export const PLACEHOLDERS = ['name', 'first_name', 'phone', 'niche', 'target_status', 'notes'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export const PLACEHOLDER_SET: ReadonlySet<string> = new Set(PLACEHOLDERS);

/** `\n` typed as two characters, `%0A`, `<br>`, `<br/>`, `<br />` and CRLF all mean a new line. */
const LINE_BREAK_TOKENS = /\\n|%0a|<br\s*\/?>|\r\n?/gi;

export function expandLineBreaks(text: string): string {
	return text.replace(LINE_BREAK_TOKENS, '\n');
}

const WORD = /^[a-z_][a-z0-9_]*$/;

interface Cursor {
	src: string;
	at: number;
	fields: ReadonlySet<string>;
	problems: TemplateProblem[];
}

/** Parses a template; unbalanced braces stay as literal text (and are reported), nothing is dropped. */
export function parseTemplate(src: string, fields: ReadonlySet<string>): { nodes: TemplateNode[]; problems: TemplateProblem[] } {
	const cursor: Cursor = { src, at: 0, fields, problems: [] };
	const { options } = parseSequence(cursor, false);
	return { nodes: options[0], problems: cursor.problems };
}

/** Reads to the end of the text or, inside a group, to its `}`; `|` splits options only inside a group. */
function parseSequence(c: Cursor, inGroup: boolean): { options: TemplateNode[][]; closed: boolean } {
	const options: TemplateNode[][] = [[]];
	let text = '';
	const flush = () => {
		if (text) options[options.length - 1].push({ kind: 'text', text: expandLineBreaks(text) });
		text = '';
	};
	while (c.at < c.src.length) {
		const ch = c.src[c.at];
		if (ch === '{') {
			flush();
			const start = c.at++;
			options[options.length - 1].push(...parseGroup(c, start));
			continue;
		}
		if (inGroup && (ch === '}' || ch === '|')) {
			flush();
			c.at++;
			if (ch === '}') return { options, closed: true };
			options.push([]);
			continue;
		}
		if (ch === '}') c.problems.push({ severity: 'error', code: 'UNOPENED_BRACE', message: 'This "}" closes nothing: add its "{" or remove it.', at: c.at });
		text += ch;
		c.at++;
	}
	flush();
	return { options, closed: false };
}

function parseGroup(c: Cursor, start: number): TemplateNode[] {
	const { options, closed } = parseSequence(c, true);
	if (!closed) {
		c.problems.push({ severity: 'error', code: 'UNCLOSED_BRACE', message: 'This "{" is never closed: add its "}".', at: start });
		return [{ kind: 'text', text: '{' }, ...options.flatMap((option, i) => (i ? [{ kind: 'text', text: '|' } as const, ...option] : option))];
	}
	if (options.length > 1) return [{ kind: 'spin', options }];
	const inner = options[0];
	const only = inner.length === 1 && inner[0].kind === 'text' ? inner[0].text.trim().toLowerCase() : undefined;
	if (only !== undefined && c.fields.has(only)) return [{ kind: 'field', field: only }];
	if (only !== undefined && WORD.test(only)) {
		const known = [...c.fields].map(f => `{${f}}`).join(', ');
		c.problems.push({ severity: 'warning', code: 'UNKNOWN_PLACEHOLDER', message: `{${only}} is not a placeholder and is sent as typed. Placeholders: ${known}.`, at: start });
	}
	return [{ kind: 'text', text: '{' }, ...inner, { kind: 'text', text: '}' }];
}

/** Marks where a placeholder or spintax choice came out empty, so only the spaces around it are tidied. */
const EMPTY = '\u0000';

/**
 * Renders the tree: `values` gives each placeholder's text, `random` picks spintax options in
 * document order (so the same source of randomness gives the same text).
 */
export function renderTemplate(nodes: TemplateNode[], values: (field: string) => string, random: () => number): string {
	return tidyEmpties(renderNodes(nodes, values, random));
}

function renderNodes(nodes: TemplateNode[], values: (field: string) => string, random: () => number): string {
	let out = '';
	for (const node of nodes) {
		if (node.kind === 'text') out += node.text;
		else if (node.kind === 'field') out += values(node.field).replaceAll(EMPTY, '') || EMPTY;
		else out += renderNodes(node.options[Math.min(node.options.length - 1, Math.floor(random() * node.options.length))], values, random) || EMPTY;
	}
	return out;
}

/**
 * Where something rendered empty, "We have  offer" becomes "We have offer", "Good morning ," becomes
 * "Good morning," and a line that starts or ends with it loses the stray space; the user's own
 * spacing elsewhere is left alone.
 */
function tidyEmpties(text: string): string {
	return text.replace(/[ \t]*\u0000[\u0000 \t]*/g, (match, offset: number, whole: string) => {
		const before = whole[offset - 1];
		const after = whole[offset + match.length];
		if (before === undefined || before === '\n' || after === undefined || after === '\n' || /[,.!?;:)]/.test(after)) return '';
		return /[ \t]/.test(match) ? ' ' : '';
	});
}

/** Length of the longest text the tree can render, counting each placeholder as `fieldLength`. */
export function longestRendering(nodes: TemplateNode[], fieldLength: number): number {
	let total = 0;
	for (const node of nodes) {
		if (node.kind === 'text') total += node.text.length;
		else if (node.kind === 'field') total += fieldLength;
		else total += Math.max(...node.options.map(option => longestRendering(option, fieldLength)));
	}
	return total;
}

/**
 * What is wrong with one greeting's text: everything the campaign editor's check (`checkTemplate`) refuses, and unknown
 * placeholders too, since a greeting can only use the lead's fields.
 */
export function checkGreeting(text: string): TemplateProblem[] {
	if (!text.trim()) return [{ severity: 'error', code: 'EMPTY', message: 'Write the greeting, or remove this line.' }];
	return parseTemplate(text, PLACEHOLDER_SET).problems.map(problem => {
		if (problem.code !== 'UNKNOWN_PLACEHOLDER') return { ...problem, severity: 'error' };
		const typed = /^\{[^}]*\}/.exec(text.slice(problem.at))?.[0];
		return { ...problem, severity: 'error', message: `${typed} is not a placeholder. A greeting can use ${PLACEHOLDERS.map(p => `{${p}}`).join(', ')}.` };
	});
}

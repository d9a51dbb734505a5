/**
 * WhatsApp's text formatting for the editor preview: `*bold*`, `_italic_`, `~strike~`,
 * ```` ```monospace``` ```` and `` `inline code` ``. Pure; the text never becomes markup.
 */

export type FormatStyle = 'bold' | 'italic' | 'strike' | 'mono' | 'code';

/** A run of text and the styles on it, in reading order; the markers themselves are not in `text`. */
export interface FormatSpan {
	text: string;
	styles: FormatStyle[];
}

const MARKERS: Record<string, FormatStyle> = { '*': 'bold', _: 'italic', '~': 'strike' };

const isWordChar = (ch: string | undefined) => ch !== undefined && /[\p{L}\p{N}]/u.test(ch);
const isSpace = (ch: string | undefined) => ch === undefined || /\s/.test(ch);

/**
 * Splits text into styled runs the way WhatsApp reads it: a marker opens only at the start of a
 * word (not inside "2*3*4" or "snake_case_name"), its content neither starts nor ends with a
 * space, and `*`, `_`, `~` and `` ` `` stay on one line while ``` may span lines.
 */
export function formatSpans(text: string): FormatSpan[] {
	const spans: FormatSpan[] = [];
	appendSpans(text, [], spans);
	return spans;
}

function appendSpans(text: string, styles: FormatStyle[], spans: FormatSpan[]): void {
	let plain = '';
	const push = (chunk: string, chunkStyles: FormatStyle[]) => {
		const last = spans.at(-1);
		if (last && last.styles.join() === chunkStyles.join()) last.text += chunk;
		else if (chunk) spans.push({ text: chunk, styles: chunkStyles });
	};
	let i = 0;
	while (i < text.length) {
		const styled = styledAt(text, i);
		if (!styled || !styled.content || (styled.style !== 'mono' && styled.style !== 'code' && styles.includes(styled.style))) {
			plain += text[i++];
			continue;
		}
		push(plain, styles);
		plain = '';
		const inner = [...styles, styled.style];
		if (styled.style === 'mono' || styled.style === 'code') push(styled.content, inner);
		else appendSpans(styled.content, inner, spans);
		i = styled.end;
	}
	push(plain, styles);
}

/** The formatted run that starts at `i`, if one does. */
function styledAt(text: string, i: number): { style: FormatStyle; content: string; end: number } | undefined {
	if (isWordChar(text[i - 1])) return undefined;
	if (text.startsWith('```', i)) {
		const close = text.indexOf('```', i + 3);
		return close > i + 3 ? { style: 'mono', content: text.slice(i + 3, close), end: close + 3 } : undefined;
	}
	const marker = text[i];
	const style = marker === '`' ? 'code' : MARKERS[marker];
	if (!style || isSpace(text[i + 1]) || text[i + 1] === marker) return undefined;
	for (let j = i + 2; j < text.length && text[j] !== '\n'; j++) {
		if (text[j] === marker && !isSpace(text[j - 1]) && !isWordChar(text[j + 1])) return { style, content: text.slice(i + 1, j), end: j + 1 };
	}
	return undefined;
}

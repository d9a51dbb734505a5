/**
 * Turns whatever a lead's name field holds (typed by hand, imported from a spreadsheet, synced
 * from a phone book) into something fit to put in front of a customer, or null when nothing is.
 */

/** Words that are programming leftovers, not names ("John null" from a missing last name). */
const LEFTOVER_WORDS = new Set(['null', 'undefined', 'nan']);
/** Whole names that mean "no name". */
const NO_NAME = new Set(['none', 'nil', 'na', 'n/a', 'unknown', 'no name', 'noname', 'name']);
/** Kept lower-case inside a title-cased name: "Ahmad bin Ismail", "Kumar a/l Muthu", "Ludwig van Beethoven". */
const PARTICLES = new Set(['bin', 'binti', 'bte', 'binte', 'a/l', 'a/p', 'van', 'von', 'der', 'de', 'del', 'da', 'dos']);
/** Honorifics skipped by {@link firstNameOf}, one or two words. */
const TITLES = ['mr', 'mrs', 'ms', 'miss', 'mx', 'mdm', 'madam', 'dr', 'prof', 'sir', 'encik', 'en', 'puan', 'pn', 'cik', 'tuan', 'hj', 'haji', 'hajah', 'dato', 'datuk', 'datin', 'tan sri', 'dato sri', 'datuk seri']
	.map(title => title.split(' '))
	// Longest first, so "Dato Sri" is skipped whole rather than as "Dato".
	.sort((a, b) => b.length - a.length);

/**
 * The name as a sales user would want it in a message:
 * - fancy Unicode letters folded (NFKC), text in brackets dropped ("Ali (supplier KL)" → "Ali");
 * - emoji, symbols, digits, phone numbers, e-mail and web addresses removed, whitespace collapsed;
 * - leftovers such as "null", "undefined", "-", "N/A" removed (a name of only those is no name);
 * - ALL CAPS or all lower case title-cased ("AHMAD BIN ISMAIL" → "Ahmad bin Ismail"); a name typed
 *   in mixed case ("McDonald", "DeShawn") is kept as typed;
 * - a single Latin letter is an initial, not a name.
 * The full name is kept, not the first word: in Chinese names the first word is the family name
 * and in Malay names it is often "Muhammad" or "Nur", so cutting it is wrong too often to be the
 * default. `{first_name}` ({@link firstNameOf}) is there for lists where it is right.
 */
export function cleanLeadName(raw: string | null | undefined): string | null {
	if (!raw) return null;
	const words = raw
		.normalize('NFKC')
		.replace(/\([^)]*\)|\[[^\]]*\]/g, ' ')
		.split(/\s+/)
		.filter(word => !word.includes('@') && !/^(https?:|www\.)/i.test(word))
		.map(word => word.replace(/[^\p{L}\p{M}'’./-]/gu, '').replace(/^[^\p{L}]+|[^\p{L}\p{M}'’]+$/gu, ''))
		.filter(word => word && !LEFTOVER_WORDS.has(word.toLowerCase()));
	const name = words.join(' ');
	if (!name || NO_NAME.has(name.toLowerCase())) return null;
	const letters = name.replace(/[^\p{L}]/gu, '');
	const cased = letters.toUpperCase() !== letters.toLowerCase();
	if (cased && letters.length < 2) return null;
	if (cased && (letters === letters.toUpperCase() || letters === letters.toLowerCase())) return titleCase(words);
	return name;
}

function titleCase(words: string[]): string {
	return words
		.map((word, i) => {
			const lower = word.toLowerCase();
			if (i > 0 && PARTICLES.has(lower)) return lower;
			return lower.replace(/(^|[-'’/])(\p{L})/gu, (_, separator: string, letter: string) => separator + letter.toUpperCase());
		})
		.join(' ');
}

/** The first word of a cleaned name after any honorific ("Dato' Sri Ahmad Zaki" → "Ahmad"), or null. */
export function firstNameOf(cleanName: string | null): string | null {
	if (!cleanName) return null;
	const words = cleanName.split(' ');
	const plain = words.map(w => w.toLowerCase().replace(/['’]/g, ''));
	for (let skipped = 0; skipped < words.length; ) {
		const title = TITLES.find(parts => parts.every((part, i) => plain[skipped + i] === part));
		if (!title) return words[skipped];
		skipped += title.length;
	}
	return words[0];
}

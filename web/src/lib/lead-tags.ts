/**
 * Niches and triggers as typed in one box: "Property; Loans, Cars". Pure, so the form and its
 * preview agree with what is saved.
 */

/** Tags separated by commas or semicolons, trimmed, empties dropped, each once (the first spelling kept). */
export function parseTags(text: string, { ignoreCase }: { ignoreCase: boolean }): string[] {
	const seen = new Set<string>();
	const tags: string[] = [];
	for (const part of text.split(/[,;]/)) {
		const tag = part.trim();
		const key = ignoreCase ? tag.toLowerCase() : tag;
		if (!tag || seen.has(key)) continue;
		seen.add(key);
		tags.push(tag);
	}
	return tags;
}

/** How stored tags are shown in the box, so that parsing the box gives them back. */
export function formatTags(tags: readonly string[]): string {
	return tags.join(', ');
}

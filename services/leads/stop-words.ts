/** Stop words compare whole, trimmed, with runs of spaces as one and a final . or ! ignored. */
function stopWordKey(text: string): string {
	return text.trim().replace(/[.!]+$/, '').replace(/\s+/g, ' ').toUpperCase();
}

/** The configured stop words (LEAD_STOP_WORDS), ready to compare a contact's message with. */
export class StopWords {
	private readonly keys: Set<string>;
	constructor(words: string[]) {
		this.keys = new Set(words.map(stopWordKey));
	}

	/** Whether the whole message is one of them: "stop", " Stop! " and "STOP." are; "please stop" is not. */
	matches(text: string): boolean {
		return this.keys.has(stopWordKey(text));
	}
}

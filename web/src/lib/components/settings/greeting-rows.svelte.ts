import type { GreetingEntry } from '../../api/users.ts';

let nextKey = 0;

/** One line of a greeting set being edited. */
export class GreetingRow {
	/** Keeps the row's inputs while lines are added and removed around it. */
	readonly key = nextKey++;
	fromHour = $state(0);
	text = $state('');

	constructor(entry: GreetingEntry) {
		this.fromHour = entry.fromHour;
		this.text = entry.text;
	}

	entry(): GreetingEntry {
		return { fromHour: this.fromHour, text: this.text };
	}
}

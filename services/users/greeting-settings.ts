import { Errors } from 'moleculer';
import { GREETING_LANGUAGES, type GreetingEntry, type TenantGreetings } from '../shared/greetings.ts';
import { checkGreeting } from '../shared/template.ts';
import type { SettingsParams } from './users.params.ts';

const { ValidationError } = Errors;

type GreetingsChange = NonNullable<SettingsParams['greetings']>;

/** What the params schema cannot see: an hour given twice in a set, and greetings the template check refuses. */
export function greetingProblems(change: GreetingsChange): { field: string; message: string }[] {
	const problems: { field: string; message: string }[] = [];
	for (const language of GREETING_LANGUAGES) {
		const firstLineAt = new Map<number, number>();
		for (const [i, entry] of (change[language] ?? []).entries()) {
			const field = `greetings.${language}[${i}]`;
			const first = firstLineAt.get(entry.fromHour);
			if (first === undefined) firstLineAt.set(entry.fromHour, i);
			else problems.push({ field: `${field}.fromHour`, message: `Line ${first + 1} already starts at ${entry.fromHour}:00; choose another hour.` });
			const problem = checkGreeting(entry.text)[0];
			if (problem) problems.push({ field: `${field}.text`, message: problem.message });
		}
	}
	return problems;
}

/**
 * The tenant's sets after `change` (each sorted by hour), or a validation error naming every bad
 * line; null once every language greets with the shipped set again.
 */
export function changedGreetings(current: TenantGreetings | null | undefined, change: GreetingsChange): TenantGreetings | null {
	const problems = greetingProblems(change);
	if (problems.length) throw new ValidationError('Some greetings are not valid.', 'VALIDATION_ERROR', problems.map(p => ({ ...p, type: 'greeting' })));
	const next: TenantGreetings = { ...current };
	for (const language of GREETING_LANGUAGES) {
		const set = change[language];
		if (set === null) delete next[language];
		else if (set) next[language] = [...set].sort((a, b) => a.fromHour - b.fromHour).map(({ fromHour, text }): GreetingEntry => ({ fromHour, text }));
	}
	return Object.keys(next).length ? next : null;
}

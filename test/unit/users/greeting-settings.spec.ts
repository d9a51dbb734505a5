import { Errors, Validators } from 'moleculer';
import { describe, expect, it } from 'vitest';
import { changedGreetings, greetingProblems } from '../../../services/users/greeting-settings.ts';
import { settingsParams } from '../../../services/users/users.params.ts';

const check = new Validators.Fastest().compile(settingsParams) as (params: object) => true | { field: string; message: string }[];
const fieldsOf = (params: object) => {
	const result = check(params);
	return result === true ? [] : result.map(e => e.field);
};

describe('the shape of a greeting set, checked at the edge', () => {
	it('takes one to twelve lines per language, and null for the default', () => {
		expect(check({ greetings: { en: [{ fromHour: 0, text: 'Hi {name},' }] } })).toBe(true);
		expect(check({ greetings: { en: Array.from({ length: 12 }, (_, i) => ({ fromHour: i * 2, text: 'Hi' })), ms: null } })).toBe(true);
		expect(check({ greetings: {} })).toBe(true);
		expect(fieldsOf({ greetings: { en: [] } })).toEqual(['greetings.en']);
		expect(fieldsOf({ greetings: { ms: Array.from({ length: 13 }, (_, i) => ({ fromHour: i, text: 'Hi' })) } })).toEqual(['greetings.ms']);
		expect(fieldsOf({ greetings: { fr: [] } })).toEqual(['greetings']);
	});

	it('names the line and the field of a bad hour or text, with a message a user can act on', () => {
		const result = check({ greetings: { en: [{ fromHour: 24, text: 'Hi' }, { fromHour: 2.5, text: '' }, { fromHour: 3, text: 'x'.repeat(201) }, { text: 'Hi' }] } });
		expect(result).toEqual([
			expect.objectContaining({ field: 'greetings.en[0].fromHour', message: 'Choose an hour from 0 to 23.' }),
			expect.objectContaining({ field: 'greetings.en[1].fromHour', message: 'Use a whole hour from 0 to 23.' }),
			expect.objectContaining({ field: 'greetings.en[1].text', message: 'Write the greeting, or remove this line.' }),
			expect.objectContaining({ field: 'greetings.en[2].text', message: 'Use at most 200 characters.' }),
			expect.objectContaining({ field: 'greetings.en[3].fromHour', message: 'Choose the hour this greeting starts at.' }),
		]);
	});
});

describe('what the schema cannot see in a greeting set', () => {
	it('refuses an hour given twice, pointing at the later line', () => {
		expect(greetingProblems({ en: [{ fromHour: 5, text: 'a' }, { fromHour: 12, text: 'b' }, { fromHour: 5, text: 'c' }] })).toEqual([
			{ field: 'greetings.en[2].fromHour', message: 'Line 1 already starts at 5:00; choose another hour.' },
		]);
	});

	it('refuses what the template check refuses, and unknown placeholders too', () => {
		const problems = greetingProblems({ ms: [{ fromHour: 0, text: '{Salam|Hai {name},' }, { fromHour: 6, text: 'Pagi} {name}' }, { fromHour: 12, text: 'Hai {nama}' }, { fromHour: 18, text: '{Hai|Salam} {first_name},' }] });
		expect(problems.map(p => p.field)).toEqual(['greetings.ms[0].text', 'greetings.ms[1].text', 'greetings.ms[2].text']);
		expect(problems[0].message).toMatch(/never closed/);
		expect(problems[1].message).toMatch(/closes nothing/);
		expect(problems[2].message).toBe('{nama} is not a placeholder. A greeting can use {name}, {first_name}, {phone}, {niche}, {target_status}, {notes}.');
	});

	it('finds nothing wrong with a good set or a reset', () => {
		expect(greetingProblems({ en: [{ fromHour: 0, text: 'Hello {name},' }], ms: null })).toEqual([]);
	});
});

describe('applying a greeting change', () => {
	const shipped = { fromHour: 0, text: 'Hi' };

	it('stores each changed set sorted by hour and keeps the other language as it was', () => {
		const current = { ms: [{ fromHour: 0, text: 'Salam' }] };
		expect(changedGreetings(current, { en: [{ fromHour: 18, text: 'Evening' }, shipped] })).toEqual({ en: [shipped, { fromHour: 18, text: 'Evening' }], ms: current.ms });
	});

	it('drops a set reset with null, and is null once no language has its own set', () => {
		expect(changedGreetings({ en: [shipped], ms: [shipped] }, { en: null })).toEqual({ ms: [shipped] });
		expect(changedGreetings({ en: [shipped] }, { en: null })).toBeNull();
		expect(changedGreetings(null, {})).toBeNull();
	});

	it('throws one validation error with every problem, changing nothing', () => {
		const current = { en: [shipped] };
		let thrown: unknown;
		try {
			changedGreetings(current, { en: [{ fromHour: 1, text: '{' }, { fromHour: 1, text: 'ok' }] });
		} catch (err) {
			thrown = err;
		}
		expect(thrown).toBeInstanceOf(Errors.ValidationError);
		expect(((thrown as Errors.ValidationError).data as { field: string }[]).map(d => d.field)).toEqual(['greetings.en[0].text', 'greetings.en[1].fromHour']);
		expect(current).toEqual({ en: [shipped] });
	});
});

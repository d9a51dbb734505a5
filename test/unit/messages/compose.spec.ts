import { getCountries } from 'libphonenumber-js';
import { describe, expect, it } from 'vitest';
import {
	checkGreeting,
	checkTemplate,
	cleanLeadName,
	composeMessage,
	countryZone,
	firstNameOf,
	recipientTimeZone,
	seededRandom,
	tenantGreeting,
	GREETING_SETS,
	type ComposeLead,
	type ComposeOptions,
} from '../../../services/messages/compose.ts';

const lead: ComposeLead = { name: 'Aisha Rahman', phone: '+60123456789', niches: ['property', 'loans'], targetStatus: 'prospect', notes: 'Met at the expo' };
const compose = (template: string, who: Partial<ComposeLead> = {}, options: Partial<ComposeOptions> = {}) =>
	composeMessage(template, { ...lead, ...who }, { seed: 'message-1', ...options });

/** Every distinct text the template gives over many seeds. */
function outcomes(template: string, who: Partial<ComposeLead> = {}, seeds = 200): Set<string> {
	return new Set(Array.from({ length: seeds }, (_, i) => compose(template, who, { seed: `message-${i}` })));
}

describe('placeholders', () => {
	it('fills every lead field', () => {
		expect(compose('{name}|{first_name}|{phone}|{niche}|{target_status}|{notes}')).toBe('Aisha Rahman|Aisha|+60123456789|property, loans|prospect|Met at the expo');
	});

	it('reads placeholders whatever their case and inner spaces', () => {
		expect(compose('{Name} / { NAME } / {First_Name}')).toBe('Aisha Rahman / Aisha Rahman / Aisha');
	});

	it('adds the + to a phone stored without it', () => {
		expect(compose('{phone}', { phone: '60123456789' })).toBe('+60123456789');
	});

	it('keeps an unknown {word} exactly as typed', () => {
		expect(compose('Use code {PROMO2024} or {promo}')).toBe('Use code {PROMO2024} or {promo}');
	});

	it('uses the fallback when the lead has no usable name, "there" unless told otherwise', () => {
		expect(compose('Hi {name}!', { name: null })).toBe('Hi there!');
		expect(compose('Hi {first_name}!', { name: '+60 12-345 6789' })).toBe('Hi there!');
		expect(compose('Hi {name}!', { name: 'undefined' }, { nameFallback: 'friend' })).toBe('Hi friend!');
	});

	it('tidies the spaces around a field that is empty', () => {
		expect(compose('Notes: {notes}.', { notes: null })).toBe('Notes:.');
		expect(compose('Interested in {niche} deals', { niches: [] })).toBe('Interested in deals');
	});

	it('never reads spintax or placeholders inside a lead value', () => {
		expect(compose('{notes}', { notes: 'Says {yes|no} and {name}' })).toBe('Says {yes|no} and {name}');
	});
});

describe('cleaning the name', () => {
	it.each([
		['  aisha   rahman ', 'Aisha Rahman', 'Aisha'],
		['AHMAD BIN ISMAIL', 'Ahmad bin Ismail', 'Ahmad'],
		['siti nurhaliza binti tarudin', 'Siti Nurhaliza binti Tarudin', 'Siti'],
		['KUMAR A/L MUTHU', 'Kumar a/l Muthu', 'Kumar'],
		["o'brien-smith", "O'Brien-Smith", "O'Brien-Smith"],
		['McDonald', 'McDonald', 'McDonald'],
		['DeShawn Jones', 'DeShawn Jones', 'DeShawn'],
		['🔥 Jason 🔥', 'Jason', 'Jason'],
		['Jason ❤️‍🔥 Lee', 'Jason Lee', 'Jason'],
		['𝓙𝓪𝓼𝓸𝓷', 'Jason', 'Jason'],
		['ＪＡＳＯＮ', 'Jason', 'Jason'],
		['Ali (supplier KL)', 'Ali', 'Ali'],
		['Ali +60 12-345 6789', 'Ali', 'Ali'],
		['Ali 0123456789', 'Ali', 'Ali'],
		['John null', 'John', 'John'],
		['Dr. Tan Wei Ming', 'Dr Tan Wei Ming', 'Tan'],
		["Dato' Sri Ahmad Zaki", "Dato' Sri Ahmad Zaki", 'Ahmad'],
		['Encik Razak', 'Encik Razak', 'Razak'],
		['张伟', '张伟', '张伟'],
		['محمد علي', 'محمد علي', 'محمد'],
		['José Álvarez', 'José Álvarez', 'José'],
	])('%j → %j (first name %j)', (raw, name, first) => {
		expect(cleanLeadName(raw)).toBe(name);
		expect(firstNameOf(cleanLeadName(raw))).toBe(first);
	});

	it.each([null, undefined, '', '   ', 'null', 'undefined', 'NULL', '-', '--', 'N/A', 'none', 'Unknown', '+60123456789', '012-345 6789', '😀😀', 'J.', 'x', 'ali@example.com', 'www.example.com'])(
		'%j is no name',
		raw => {
			expect(cleanLeadName(raw)).toBeNull();
		},
	);
});

describe('spintax', () => {
	it('picks one option per recipient, and over many recipients every option', () => {
		expect(outcomes('{Hi|Hello|Hey} {name}')).toEqual(new Set(['Hi Aisha Rahman', 'Hello Aisha Rahman', 'Hey Aisha Rahman']));
	});

	it('keeps {name} intact next to spintax and inside options', () => {
		for (const text of outcomes('{Hi {name}|Hello {first_name}|{name}}, {name}')) {
			expect(['Hi Aisha Rahman, Aisha Rahman', 'Hello Aisha, Aisha Rahman', 'Aisha Rahman, Aisha Rahman']).toContain(text);
		}
		expect(compose('{name}')).toBe('Aisha Rahman');
	});

	it('supports nested spintax', () => {
		expect(outcomes('{{Hi|Hey} there|Good day}')).toEqual(new Set(['Hi there', 'Hey there', 'Good day']));
	});

	it('allows an empty option without leaving double spaces', () => {
		expect(outcomes('We have {a great |an amazing |}offer {today|} for you')).toEqual(
			new Set(['We have a great offer today for you', 'We have an amazing offer today for you', 'We have offer today for you', 'We have a great offer for you', 'We have an amazing offer for you', 'We have offer for you']),
		);
		expect(outcomes('{Hi|} {name}')).toEqual(new Set(['Hi Aisha Rahman', 'Aisha Rahman']));
	});

	it('renders the same message identically for the same seed, and differently across seeds', () => {
		const template = '{Hi|Hello|Hey|Yo} {there|friend|boss}, {see|check out|look at} {this|our offer|the deal}';
		expect(compose(template, {}, { seed: 'msg-42' })).toBe(compose(template, {}, { seed: 'msg-42' }));
		expect(outcomes(template).size).toBeGreaterThan(20);
	});

	it('takes an injected source of randomness', () => {
		expect(compose('{A|B|C} {D|E}', {}, { random: () => 0 })).toBe('A D');
		expect(compose('{A|B|C} {D|E}', {}, { random: () => 0.999 })).toBe('C E');
	});
});

describe('seededRandom', () => {
	it('is deterministic per seed, spread over [0, 1)', () => {
		const a = seededRandom('0b5c9e8a-1f3d-4c1e-9a55-3f2b1d0c9e7a');
		const again = seededRandom('0b5c9e8a-1f3d-4c1e-9a55-3f2b1d0c9e7a');
		const values = Array.from({ length: 10_000 }, () => a());
		expect(Array.from({ length: 10_000 }, () => again())).toEqual(values);
		expect(values.every(v => v >= 0 && v < 1)).toBe(true);
		const buckets = new Array(10).fill(0);
		for (const v of values) buckets[Math.floor(v * 10)]++;
		for (const count of buckets) expect(count).toBeGreaterThan(850);
		expect(seededRandom('message-1')()).not.toBe(seededRandom('message-2')());
	});
});

describe('greetings by the recipient-local hour', () => {
	// 00:30 UTC is 08:30 in Kuala Lumpur and 19:30 the evening before in New York (winter).
	const winterNight = new Date('2026-01-15T00:30:00Z');

	it('greets in Malay by the Malaysian hour and in English by the New York hour', () => {
		expect(compose('Ada promosi.', {}, { greeting: 'ms', now: winterNight })).toBe('Selamat pagi Aisha Rahman,\n\nAda promosi.');
		expect(compose('We have a deal.', { phone: '+12125550123' }, { greeting: 'en', now: winterNight })).toBe('Good evening Aisha Rahman,\n\nWe have a deal.');
	});

	it('walks through the Malay set over a Malaysian day', () => {
		const at = (utcHour: number) => compose('x', { name: null }, { greeting: 'ms', now: new Date(Date.UTC(2026, 0, 15, utcHour)) }).split(',')[0];
		// Malaysia is UTC+8 all year: 04:00, 05:00, 11:00, 12:00, 13:00, 14:00, 18:00 and 19:00 there.
		expect([20, 21, 3, 4, 5, 6, 10, 11].map(at)).toEqual([
			'Selamat malam', 'Selamat pagi', 'Selamat pagi', 'Selamat tengah hari', 'Selamat tengah hari', 'Selamat petang', 'Selamat petang', 'Selamat malam',
		]);
	});

	it('follows daylight saving time through Intl, not a fixed offset', () => {
		const ny = { phone: '+12125550123' };
		expect(compose('x', ny, { greeting: 'en', now: new Date('2026-01-15T16:30:00Z') })).toMatch(/^Good morning/);
		expect(compose('x', ny, { greeting: 'en', now: new Date('2026-07-15T16:30:00Z') })).toMatch(/^Good afternoon/);
	});

	it("falls back to the tenant's zone when the number has no country", () => {
		const global = { phone: '+80012345678' };
		expect(compose('x', global, { greeting: 'en', timeZone: 'Asia/Tokyo', now: winterNight })).toMatch(/^Good morning/);
		expect(compose('x', global, { greeting: 'en', timeZone: 'America/Los_Angeles', now: winterNight })).toMatch(/^Good afternoon/);
		expect(recipientTimeZone('not a number', 'Europe/Lisbon')).toBe('Europe/Lisbon');
	});

	it('leaves the name out of the greeting when the lead has none', () => {
		expect(compose('Hi {name}', { name: '---' }, { greeting: 'en', now: winterNight })).toBe('Good morning,\n\nHi there');
	});

	it("uses the tenant's own set, with spintax and placeholders, the last entry holding past midnight", () => {
		const set = [
			{ fromHour: 6, text: '{Morning|Good morning} {first_name}!' },
			{ fromHour: 20, text: 'Evening {first_name}!' },
		];
		expect(['Morning Aisha!\n\nx', 'Good morning Aisha!\n\nx']).toContain(compose('x', {}, { greeting: set, now: winterNight }));
		// 02:00 in Kuala Lumpur is before 06:00: the 20:00 entry still holds.
		expect(compose('x', {}, { greeting: set, now: new Date('2026-01-14T18:00:00Z') })).toBe('Evening Aisha!\n\nx');
	});

	it("picks the tenant's own version of a language, else the shipped one", () => {
		const own = [{ fromHour: 0, text: 'Yo {name},' }];
		expect(tenantGreeting('en', { en: own })).toBe(own);
		expect(tenantGreeting('ms', { en: own })).toBe('ms');
		expect(tenantGreeting('en', null)).toBe('en');
		expect(tenantGreeting('none', { en: own })).toBe('none');
		expect(tenantGreeting('toString', { en: own })).toBe('none');
		expect(compose('x', {}, { greeting: tenantGreeting('ms', {}), now: winterNight })).toBe(`${GREETING_SETS.ms[1].text.replace('{name}', 'Aisha Rahman')}\n\nx`);
	});

	it("adds nothing for 'none' or an empty set", () => {
		expect(compose('x', {}, { greeting: 'none', now: winterNight })).toBe('x');
		expect(compose('x', {}, { greeting: [], now: winterNight })).toBe('x');
	});

	it('knows a zone Intl accepts for every country a phone number can belong to', () => {
		for (const country of getCountries()) {
			const zone = countryZone(country);
			expect(zone, country).toBeDefined();
			expect(() => new Intl.DateTimeFormat('en', { timeZone: zone }), country).not.toThrow();
		}
		expect(['US', 'CA', 'AU', 'BR', 'RU', 'ID', 'MX'].map(countryZone)).toEqual(['America/New_York', 'America/Toronto', 'Australia/Sydney', 'America/Sao_Paulo', 'Europe/Moscow', 'Asia/Jakarta', 'America/Mexico_City']);
	});
});

describe('line breaks', () => {
	it.each(['\\n', '%0A', '%0a', '<br>', '<br/>', '<br />', '<BR>', '\r\n'])('%j becomes a new line', token => {
		expect(compose(`Line one${token}Line two`)).toBe('Line one\nLine two');
	});

	it('works inside spintax options and greetings', () => {
		expect(compose('{A<br>B|A\\nB}')).toBe('A\nB');
		expect(compose('x', {}, { greeting: [{ fromHour: 0, text: 'Hello<br>{first_name}' }] })).toBe('Hello\nAisha\n\nx');
	});
});

describe('checkTemplate', () => {
	it('finds nothing wrong with a good template', () => {
		expect(checkTemplate('{Hi|Hello} {name},\\n*Promo* today: {{50|40}% off|free delivery}!')).toEqual([]);
	});

	it('reports an empty template', () => {
		expect(checkTemplate('  \n ')).toEqual([expect.objectContaining({ severity: 'error', code: 'EMPTY' })]);
	});

	it('reports unbalanced braces where they are, and composing still sends the text as typed', () => {
		const template = '{Hi|Hello {name} } see you}';
		expect(checkTemplate(template)).toEqual([expect.objectContaining({ code: 'UNOPENED_BRACE', at: 26 })]);
		expect(checkTemplate('{Hi|Hello {name}')).toEqual([expect.objectContaining({ severity: 'error', code: 'UNCLOSED_BRACE', at: 0 })]);
		expect(compose('{Hi|Hello {name}')).toBe('{Hi|Hello Aisha Rahman');
	});

	it('warns about a word in braces that is not a placeholder', () => {
		expect(checkTemplate('Hi {nmae}')).toEqual([expect.objectContaining({ severity: 'warning', code: 'UNKNOWN_PLACEHOLDER', at: 3 })]);
	});

	it('reports a message WhatsApp would refuse when the longest option is picked', () => {
		expect(checkTemplate(`{${'a'.repeat(4100)}|b}`)).toEqual([expect.objectContaining({ code: 'TOO_LONG' })]);
		expect(checkTemplate(`{${'a'.repeat(4000)}|b}`)).toEqual([]);
		// Placeholders count as 40 characters, and a greeting counts too.
		expect(checkTemplate(`${'a'.repeat(4000)}{name}{name}{name}`)).toEqual([expect.objectContaining({ code: 'TOO_LONG' })]);
		expect(checkTemplate('a'.repeat(4060), { greeting: 'en' })).toEqual([expect.objectContaining({ code: 'TOO_LONG' })]);
	});
});

describe('checkGreeting', () => {
	it('finds nothing wrong with the shipped greetings or spintax with placeholders', () => {
		for (const entry of [...GREETING_SETS.en, ...GREETING_SETS.ms]) expect(checkGreeting(entry.text)).toEqual([]);
		expect(checkGreeting('{Hi|Hello} {first_name},')).toEqual([]);
	});

	it('refuses what checkTemplate refuses and, as errors, unknown placeholders', () => {
		expect(checkGreeting(' ')).toEqual([expect.objectContaining({ severity: 'error', code: 'EMPTY' })]);
		expect(checkGreeting('{Hi {name},')).toEqual([expect.objectContaining({ severity: 'error', code: 'UNCLOSED_BRACE' })]);
		expect(checkGreeting('Hi {PROMO10}')).toEqual([expect.objectContaining({ severity: 'error', code: 'UNKNOWN_PLACEHOLDER', message: expect.stringMatching(/^\{PROMO10\} is not a placeholder/) })]);
	});
});

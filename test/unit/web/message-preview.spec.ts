import { describe, expect, it } from 'vitest';
import { hasSpintax, previewSpans, previewText, type PreviewOptions } from '../../../web/src/lib/message-preview.ts';

// 09:00 in Kuala Lumpur, where the sample lead's +60 number is.
const options: PreviewOptions = { greeting: 'none', timeZone: 'UTC', at: new Date('2026-03-08T01:00:00Z'), seed: 'preview-0' };

describe('the editor previews a message as the sample lead would receive it', () => {
	it('fills placeholders from the sample lead and turns every line-break token into a new line', () => {
		expect(previewText('Hi {name} ({first_name}),\\nyour {niche} are in%0Asee you<br>soon<br />bye', options)).toBe(
			'Hi Aisha Rahman (Aisha),\nyour shoes are in\nsee you\nsoon\nbye',
		);
	});

	it('shows one spintax choice per seed, so shuffling shows the others', () => {
		const texts = new Set(Array.from({ length: 30 }, (_, i) => previewText('{Hi|Hello|Hey} {name}', { ...options, seed: `preview-${i}` })));
		expect(texts).toEqual(new Set(['Hi Aisha Rahman', 'Hello Aisha Rahman', 'Hey Aisha Rahman']));
		expect(previewText('{Hi|Hello} {name}', options)).toBe(previewText('{Hi|Hello} {name}', options));
		expect(hasSpintax('{Hi|Hello} {name}')).toBe(true);
		expect(hasSpintax('Hi {name}, {PROMO10} {unclosed')).toBe(false);
	});

	it('puts the greeting of the sample lead’s local hour first', () => {
		expect(previewText('New shoes!', { ...options, greeting: 'en' })).toBe('Good morning Aisha Rahman,\n\nNew shoes!');
		expect(previewText('Kasut baru!', { ...options, greeting: 'ms', at: new Date('2026-03-08T07:00:00Z') })).toBe('Selamat petang Aisha Rahman,\n\nKasut baru!');
	});

	it('greets with the tenant’s own set of that language, and the shipped set of the other', () => {
		const greetings = { en: [{ fromHour: 0, text: 'Late {first_name}!' }, { fromHour: 8, text: 'Hey {first_name}!' }] };
		expect(previewText('New shoes!', { ...options, greeting: 'en', greetings })).toBe('Hey Aisha!\n\nNew shoes!');
		expect(previewText('Kasut baru!', { ...options, greeting: 'ms', greetings })).toBe('Selamat pagi Aisha Rahman,\n\nKasut baru!');
	});

	it('styles WhatsApp formatting and keeps markup as plain text', () => {
		expect(previewSpans('*Sale* for {name}: <b>_50%_</b> <script>x</script>', options)).toEqual([
			{ text: 'Sale', styles: ['bold'] },
			{ text: ' for Aisha Rahman: <b>', styles: [] },
			{ text: '50%', styles: ['italic'] },
			{ text: '</b> <script>x</script>', styles: [] },
		]);
	});
});

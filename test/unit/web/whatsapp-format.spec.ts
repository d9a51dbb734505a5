import { describe, expect, it } from 'vitest';
import { formatSpans } from '../../../web/src/lib/whatsapp-format.ts';

describe('the editor previews WhatsApp formatting as WhatsApp shows it', () => {
	it('styles *bold*, _italic_, ~strike~, ```mono``` and `inline` and hides the markers', () => {
		expect(formatSpans('Hi *there* _you_ ~old~ ```x = 1``` `code`')).toEqual([
			{ text: 'Hi ', styles: [] },
			{ text: 'there', styles: ['bold'] },
			{ text: ' ', styles: [] },
			{ text: 'you', styles: ['italic'] },
			{ text: ' ', styles: [] },
			{ text: 'old', styles: ['strike'] },
			{ text: ' ', styles: [] },
			{ text: 'x = 1', styles: ['mono'] },
			{ text: ' ', styles: [] },
			{ text: 'code', styles: ['code'] },
		]);
	});

	it('nests styles, but nothing inside monospace', () => {
		expect(formatSpans('*bold _both_*')).toEqual([
			{ text: 'bold ', styles: ['bold'] },
			{ text: 'both', styles: ['bold', 'italic'] },
		]);
		expect(formatSpans('```*not bold*```')).toEqual([{ text: '*not bold*', styles: ['mono'] }]);
	});

	it('leaves markers that WhatsApp would not read as formatting', () => {
		for (const text of ['2*3*4', 'snake_case_name', '* not bold*', '*not bold *', 'a lone * star', '**', '*across\nlines*', 'email_me@example.com']) {
			expect(formatSpans(text), text).toEqual([{ text, styles: [] }]);
		}
	});

	it('lets monospace span lines', () => {
		expect(formatSpans('```line 1\nline 2```')).toEqual([{ text: 'line 1\nline 2', styles: ['mono'] }]);
	});
});

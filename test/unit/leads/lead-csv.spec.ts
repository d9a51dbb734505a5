import { describe, expect, it } from 'vitest';
import { LeadCsvError, readLeadCsv, readLeadCsvInSlices, writeLeadCsv } from '../../../services/leads/lead-csv.ts';
import { readEnv } from '../../../mixins/env-settings.mixin.ts';

describe('the lead CSV format', () => {
	it('reads any header order and case, numbers rows by the line they start on, and rejects bad rows alone', () => {
		const { rows, rejected } = readLeadCsv('Device,PHONE,Target Status\r\nA,1,customer\r\n\r\nB,"2\nstill 2",\r\nC,3,x,extra\r\nD,"4\r\n');
		expect(rows).toEqual([
			{ line: 2, input: { device: 'A', phone: '1', targetStatus: 'customer' } },
			{ line: 4, input: { device: 'B', phone: '2\nstill 2', targetStatus: '' } },
		]);
		expect(rejected).toEqual([
			// An unclosed quote runs to the end of the file: the line is where the parser gave up.
			{ line: 8, reason: expect.stringMatching(/^Not valid CSV: Quote Not Closed/) },
			{ line: 6, reason: 'This row has 4 cells; the header has 3.' },
		]);
	});

	it('reads the same in slices as at once, whatever a slice cuts (a quoted line break, a CRLF, a BOM)', async () => {
		const csv = '\uFEFFDevice,PHONE,Target Status\r\nA,1,customer\r\n\r\nB,"2\nstill 2",\r\nC,3,x,extra\r\nD,"4\r\n';
		for (const size of [1, 2, 5, 7, 64]) expect(await readLeadCsvInSlices(csv, undefined, size)).toEqual(readLeadCsv(csv));
		const emoji = 'device,name,phone\nA,A\u{1F600}B,1\n';
		for (const size of [1, 2, 3, 13, 14, 15]) expect((await readLeadCsvInSlices(emoji, undefined, size)).rows[0].input.name).toBe('A\u{1F600}B');
		await expect(readLeadCsvInSlices('  ')).rejects.toThrow(LeadCsvError);
		await expect(readLeadCsvInSlices('phone,color\n1,red', undefined, 3)).rejects.toThrow(/Unknown column "color"/);
	});

	it('writes what it reads, with formula-like cells quoted and the quote taken off again', () => {
		const csv = writeLeadCsv([{ name: '@SUM(A1)', phone: '+60123456789', niches: ['-a', 'b'], targetStatus: 'prospect', triggers: ['=x'], deviceLabel: 'KL, 1', notes: null }]);
		expect(csv).toBe(`name,phone,niche,target_status,triggers,device,notes\r\n'@SUM(A1),'+60123456789,'-a;b,prospect,'=x,"KL, 1",\r\n`);
		expect(readLeadCsv(csv).rows[0].input).toEqual({ name: '@SUM(A1)', phone: '+60123456789', niches: '-a;b', targetStatus: 'prospect', triggers: '=x', device: 'KL, 1', notes: '' });
	});

	it('ships English and Malay stop words by default', () => {
		const saved = process.env.LEAD_STOP_WORDS;
		delete process.env.LEAD_STOP_WORDS;
		try {
			expect(readEnv().leadStopWords).toEqual(expect.arrayContaining(['STOP', 'UNSUBSCRIBE', 'BERHENTI', 'STOP ALL']));
			process.env.LEAD_STOP_WORDS = ' halt , Cukup ,,';
			expect(readEnv().leadStopWords).toEqual(['halt', 'Cukup']);
		} finally {
			if (saved === undefined) delete process.env.LEAD_STOP_WORDS;
			else process.env.LEAD_STOP_WORDS = saved;
		}
	});
});

import { describe, expect, it } from 'vitest';
import { readLeadCsv } from '../../../services/leads/lead-csv.ts';
import { checkLead, DeviceDirectory } from '../../../services/leads/lead-input.ts';
import { csvFile } from '../../../services/leads/lead-csv-format.ts';
import { csvDataUrl, demoContactsCsv, sampleLeadCsv } from '../../../web/src/lib/lead-csv.ts';

const DEVICE = { id: '0b6f3a52-4a1e-4a8e-9d3c-2f1e6b7a9c10', name: 'Sales, KL "North"' };
const directory = new DeviceDirectory([DEVICE]);

/** What the leads service makes of a file the dashboard wrote: the checked leads, or the problems. */
function asServerReadsIt(csv: string, country: string | null) {
	const { rows, rejected } = readLeadCsv(csv);
	expect(rejected).toEqual([]);
	return rows.map(({ input }) => checkLead(input, directory, country));
}

describe('the CSV files the Leads page offers are imports the server accepts', () => {
	it('quotes cells with commas, quotes, line breaks and edge spaces, and leaves others bare', () => {
		expect(csvFile(['a', 'b'], [['plain', 'with, comma'], ['say "hi"', 'two\nlines'], [' edge', '']])).toBe(
			'a,b\r\nplain,"with, comma"\r\n"say ""hi""","two\nlines"\r\n" edge",\r\n',
		);
	});

	it('puts a quote before a cell a spreadsheet would run as a formula, as the export does', () => {
		expect(csvFile(['phone', 'name'], [['+60 12-345 6789', '=HYPERLINK("x")'], ['-1', '@me, too']])).toBe(
			`phone,name\r\n'+60 12-345 6789,"'=HYPERLINK(""x"")"\r\n'-1,"'@me, too"\r\n`,
		);
	});

	it('writes a sample whose every row imports, with its `;` sets, even for a tenant with no default country', () => {
		const sample = sampleLeadCsv([DEVICE.name]);
		// A phone with its + is a formula to a spreadsheet: guarded in the file, unguarded by the import.
		expect(sample).toContain(`Siti Aminah,'+60 12-345 6789,`);
		const checked = asServerReadsIt(sample, null);
		expect(checked).toHaveLength(3);
		for (const result of checked) expect(result).toHaveProperty('values.deviceId', DEVICE.id);
		expect(checked[0]).toMatchObject({ values: { phone: '+60123456789', niches: ['Property', 'Loans'], targetStatus: 'prospect', triggers: ['welcome'] } });
		expect(checked[1]).toMatchObject({ values: { triggers: ['welcome', 'promo'], targetStatus: 'customer' } });
	});

	it('names a placeholder device in the sample when the user has none yet', () => {
		expect(readLeadCsv(sampleLeadCsv([])).rows.map((row) => row.input.device)).toEqual(['Sales KL 1', 'Sales KL 1', 'Sales KL 1']);
	});

	it('turns the demo contacts into leads of the chosen device, in the niche "demo"', () => {
		const contacts = [
			{ name: 'Aisha Rahman', phone: '+60123450001' },
			{ name: 'Chen, Wei', phone: '+60123450003' },
		];
		const checked = asServerReadsIt(demoContactsCsv(contacts, [DEVICE.id]), null);
		expect(checked).toEqual([
			{ values: expect.objectContaining({ deviceId: DEVICE.id, name: 'Aisha Rahman', phone: '+60123450001', niches: ['demo'], triggers: ['demo_welcome'] }) },
			{ values: expect.objectContaining({ deviceId: DEVICE.id, name: 'Chen, Wei', phone: '+60123450003', niches: ['demo'], triggers: ['demo_welcome'] }) },
		]);
	});

	it('in demo mode, writes a sample of the demo contacts dealt over the devices in turn', () => {
		const contacts = ['Aisha Rahman', 'Ben Carter', 'Chen Wei'].map((name, i) => ({ name, phone: `+6012345000${i + 1}` }));
		const { rows } = readLeadCsv(sampleLeadCsv(['Sales KL', 'Sales JB'], contacts));
		expect(rows.map(({ input }) => [input.name, input.phone, input.device, input.niches])).toEqual([
			['Aisha Rahman', '+60123450001', 'Sales KL', 'demo'],
			['Ben Carter', '+60123450002', 'Sales JB', 'demo'],
			['Chen Wei', '+60123450003', 'Sales KL', 'demo'],
		]);
		expect(readLeadCsv(sampleLeadCsv([], contacts)).rows.map(({ input }) => input.device)).toEqual(['Sales KL 1', 'Sales KL 1', 'Sales KL 1']);
	});

	it('links a file as a data URL that decodes to the same text', () => {
		const csv = sampleLeadCsv(['D']);
		const url = csvDataUrl(csv);
		expect(url.startsWith('data:text/csv;charset=utf-8,')).toBe(true);
		expect(decodeURIComponent(url.slice(url.indexOf(',') + 1))).toBe(csv);
	});
});

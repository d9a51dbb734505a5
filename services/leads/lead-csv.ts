import { parse as parseStream } from 'csv-parse';
import { parse } from 'csv-parse/sync';
import { CSV_COLUMNS, csvFile, withoutFormulaGuard, type CsvColumn as Column } from './lead-csv-format.ts';
import type { LeadInput } from './lead-input.ts';

/** Which columns a kind of lead file may and must have. */
export interface CsvShape {
	columns: readonly Column[];
	required: readonly Column[];
}

/** A file of leads, each on one of the user's numbers. */
export const LEAD_CSV: CsvShape = { columns: CSV_COLUMNS, required: ['phone', 'device'] };
/** The same with no device column: the import spreads the rows over the user's numbers. */
export const SPREAD_LEAD_CSV: CsvShape = { columns: CSV_COLUMNS.filter(c => c !== 'device'), required: ['phone'] };

/** A file that cannot be read as leads at all (as opposed to a bad row). */
export class LeadCsvError extends Error {}

export interface CsvLeadRow {
	/** Line number in the file where the row starts (the header is line 1). */
	line: number;
	input: LeadInput;
}

export interface CsvRejectedRow {
	line: number;
	reason: string;
}

function toInput(cells: Partial<Record<Column, string>>): LeadInput {
	const cell = (column: Column) => withoutFormulaGuard(cells[column]);
	return {
		name: cell('name'),
		phone: cell('phone'),
		niches: cell('niche'),
		targetStatus: cell('target_status'),
		triggers: cell('triggers'),
		device: cell('device'),
		notes: cell('notes'),
	};
}

function headerOf(record: string[], shape: CsvShape): Column[] {
	const columns = record.map(h => h.trim().toLowerCase().replace(/\s+/g, '_'));
	const unknown = columns.filter(c => !(shape.columns as readonly string[]).includes(c));
	if (unknown.length) {
		throw new LeadCsvError(`Unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map(c => `"${c}"`).join(', ')}: the header may name ${shape.columns.join(', ')}.`);
	}
	const repeated = columns.find((c, i) => columns.indexOf(c) !== i);
	if (repeated) throw new LeadCsvError(`The column "${repeated}" appears twice in the header.`);
	const missing = shape.required.filter(c => !columns.includes(c));
	if (missing.length) throw new LeadCsvError(`The header needs the column${missing.length > 1 ? 's' : ''} ${missing.join(' and ')}.`);
	return columns as Column[];
}

type ParsedRecord = { record: string[]; info: { lines: number } };

/** csv-parse's options for an import; rows it cannot read are reported in `rejected`. */
function parseOptions(rejected: CsvRejectedRow[]) {
	return {
		info: true,
		bom: true,
		relax_column_count: true,
		relax_quotes: true,
		skip_empty_lines: true,
		skip_records_with_error: true,
		on_skip: (err: { lines?: number; message: string } | undefined) => {
			if (err) rejected.push({ line: err.lines ?? 0, reason: `Not valid CSV: ${err.message}` });
		},
	} as never;
}

/** The header, then one lead per row; a row with more cells than the header is rejected alone. */
function rowsOf(records: ParsedRecord[], rejected: CsvRejectedRow[], shape: CsvShape): { rows: CsvLeadRow[]; rejected: CsvRejectedRow[] } {
	if (!records.length) throw new LeadCsvError('The file is empty.');
	const columns = headerOf(records[0].record, shape);
	const rows: CsvLeadRow[] = [];
	for (const { record, info } of records.slice(1)) {
		// info.lines is where the row ends; quoted line breaks inside it move its start back.
		const line = info.lines - record.reduce((n, cell) => n + (cell.match(/\n/g)?.length ?? 0), 0);
		if (record.length > columns.length) {
			rejected.push({ line, reason: `This row has ${record.length} cells; the header has ${columns.length}.` });
			continue;
		}
		rows.push({ line, input: toInput(Object.fromEntries(columns.map((c, i) => [c, record[i] ?? '']))) });
	}
	if (!rows.length && !rejected.length) throw new LeadCsvError('The file has a header but no leads under it.');
	return { rows, rejected };
}

/**
 * Reads an import: a header naming some of CSV_COLUMNS in any order and case, then one lead per
 * row. A row that is not CSV, or has more cells than the header, is rejected alone.
 */
export function readLeadCsv(csv: string, shape: CsvShape = LEAD_CSV): { rows: CsvLeadRow[]; rejected: CsvRejectedRow[] } {
	if (!csv.trim()) throw new LeadCsvError('The file is empty.');
	const rejected: CsvRejectedRow[] = [];
	let records: ParsedRecord[];
	try {
		records = parse(csv, parseOptions(rejected)) as never;
	} catch (err) {
		throw new LeadCsvError(`The file is not CSV: ${(err as Error).message}`);
	}
	return rowsOf(records, rejected, shape);
}

/**
 * `readLeadCsv` for a large file on a server: the text goes to the parser a slice at a time, and
 * other work runs between slices, so a 50,000-row import never holds the node for long.
 */
export async function readLeadCsvInSlices(csv: string, shape: CsvShape = LEAD_CSV, sliceChars = 64 * 1024): Promise<{ rows: CsvLeadRow[]; rejected: CsvRejectedRow[] }> {
	if (!csv.trim()) throw new LeadCsvError('The file is empty.');
	const rejected: CsvRejectedRow[] = [];
	const records: ParsedRecord[] = [];
	const parser = parseStream(parseOptions(rejected));
	let failure: Error | undefined;
	parser.on('readable', () => {
		for (let record = parser.read(); record !== null; record = parser.read()) records.push(record);
	});
	parser.on('error', err => (failure ??= err));
	const ended = new Promise<void>(resolve => parser.once('end', resolve).once('error', () => resolve()));
	for (let at = 0; at < csv.length && !failure; ) {
		let end = Math.min(at + sliceChars, csv.length);
		// Never between the two halves of a character outside the BMP (an emoji in a name).
		if (end < csv.length && /[\uD800-\uDBFF]/.test(csv[end - 1])) end += end - 1 > at ? -1 : 1;
		parser.write(csv.slice(at, end));
		at = end;
		await new Promise(resolve => setImmediate(resolve));
	}
	parser.end();
	await ended;
	if (failure) throw new LeadCsvError(`The file is not CSV: ${failure.message}`);
	return rowsOf(records, rejected, shape);
}

export interface CsvLead {
	name: string;
	phone: string;
	niches: string[];
	targetStatus: string;
	triggers: string[];
	deviceLabel: string;
	notes: string | null;
}

/** An export in the import's format (CSV_COLUMNS), every cell safe to open in a spreadsheet. */
export function writeLeadCsv(leads: CsvLead[]): string {
	return csvFile(
		CSV_COLUMNS,
		leads.map(lead => [lead.name, lead.phone, lead.niches.join(';'), lead.targetStatus, lead.triggers.join(';'), lead.deviceLabel, lead.notes ?? '']),
	);
}

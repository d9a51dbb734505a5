/**
 * How a lead CSV file is written: its columns and its cells. The leads service's export and the
 * dashboard's sample share it, so both are safe to open in a spreadsheet; it imports no parser,
 * so the browser can load it.
 */

/** The columns of an import and an export, in the order an export writes them. */
export const CSV_COLUMNS = ['name', 'phone', 'niche', 'target_status', 'triggers', 'device', 'notes'] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];

/** Cells a spreadsheet would run as a formula (`+60 12…` included); they are written behind a quote. */
const FORMULA_START = /^[=+\-@\t\r]/;
const FORMULA_GUARD = /^'(?=[=+\-@\t\r])/;

/** A cell as written: a formula-like start behind a quote, then quoted when it holds a comma, a quote, a line break or edge spaces. */
export function csvCell(value: string): string {
	const safe = FORMULA_START.test(value) ? `'${value}` : value;
	return /[",\r\n]|^\s|\s$/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** A cell as read: the quote a writer put before a formula-like start comes off again, so a file round-trips. */
export const withoutFormulaGuard = (cell: string | undefined) => cell?.replace(FORMULA_GUARD, '');

/** A whole file: a header line, then one line per row. */
export function csvFile(header: readonly string[], rows: readonly (readonly string[])[]): string {
	return [header, ...rows].map(cells => cells.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

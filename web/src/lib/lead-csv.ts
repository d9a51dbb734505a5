/**
 * CSV files the dashboard writes for an import: the sample offered beside the file picker and the
 * demo contacts as leads. The columns are the leads service's (services/leads/lead-csv.ts).
 */

/** A cell quoted when it holds a comma, a quote, a line break or edge spaces. */
function csvCell(value: string): string {
	return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** A whole file: a header line, then one line per row, each cell quoted as needed. */
export function csvFile(header: readonly string[], rows: readonly (readonly string[])[]): string {
	return [header, ...rows].map((cells) => cells.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** The sample file: every column, `;` sets and numbers as people write them, on the user's first device. */
export function sampleLeadCsv(deviceName: string | undefined): string {
	const device = deviceName ?? 'Sales KL 1';
	return csvFile(
		['name', 'phone', 'niche', 'target_status', 'triggers', 'device', 'notes'],
		[
			['Siti Aminah', '+60 12-345 6789', 'Property;Loans', 'prospect', 'welcome', device, 'Met at the expo'],
			['Ahmad Zaki', '+60 13-222 3333', 'Cars', 'customer', 'welcome;promo', device, ''],
			['Chen Wei', '+65 8123 4567', 'Property', '', '', device, 'Prefers evenings, after 7pm'],
		],
	);
}

/** The demo contacts as an import for one device, tagged with the niche "demo" so a campaign can pick them. */
export function demoContactsCsv(contacts: readonly { name: string; phone: string }[], deviceId: string): string {
	return csvFile(
		['name', 'phone', 'niche', 'device'],
		contacts.map((contact) => [contact.name, contact.phone, 'demo', deviceId]),
	);
}

/** A link target that downloads the text as a .csv file (with the `download` attribute). */
export function csvDataUrl(csv: string): string {
	return `data:text/csv;charset=utf-8,${encodeURIComponent(csv)}`;
}

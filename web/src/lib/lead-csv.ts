/**
 * CSV files the dashboard writes for an import: the sample offered beside the file picker and the
 * demo contacts as leads, in the leads service's own format, formula guard included.
 */
import { CSV_COLUMNS, csvFile, type CsvColumn } from '$server/leads/lead-csv-format.ts';
import type { DemoContactDto } from './api/demo.ts';

/** The device a sample names while the user has none yet. */
const PLACEHOLDER_DEVICE = 'Sales KL 1';

/**
 * The sample file: every column, `;` sets and numbers as people write them, on the user's first
 * device. In demo mode it is the demo contacts dealt over the user's devices instead, because a
 * campaign to made-up numbers would only fail with "not on WhatsApp".
 */
export function sampleLeadCsv(deviceNames: readonly string[], demoContacts: readonly DemoContactDto[] = []): string {
	const devices = deviceNames.length ? deviceNames : [PLACEHOLDER_DEVICE];
	if (demoContacts.length) return demoContactsCsv(demoContacts, devices);
	return csvFile(
		CSV_COLUMNS,
		[
			['Siti Aminah', '+60 12-345 6789', 'Property;Loans', 'prospect', 'welcome', devices[0], 'Met at the expo'],
			['Ahmad Zaki', '+60 13-222 3333', 'Cars', 'customer', 'welcome;promo', devices[0], ''],
			['Chen Wei', '+65 8123 4567', 'Property', '', '', devices[0], 'Prefers evenings, after 7pm'],
		],
	);
}

const DEMO_COLUMNS: readonly CsvColumn[] = ['name', 'phone', 'niche', 'triggers', 'device'];

/** The trigger the demo's sample leads carry, so a sequence with it enrols them (the README's demo story). */
export const DEMO_TRIGGER = 'demo_welcome';

/**
 * The demo contacts as an import, dealt over the devices (names or ids) in turn, tagged with the
 * niche "demo" so a campaign can pick them, and the trigger DEMO_TRIGGER so a sequence can.
 */
export function demoContactsCsv(contacts: readonly DemoContactDto[], devices: readonly string[]): string {
	return csvFile(
		DEMO_COLUMNS,
		contacts.map((contact, i) => [contact.name, contact.phone, 'demo', DEMO_TRIGGER, devices[i % devices.length]]),
	);
}

/** A link target that downloads the text as a .csv file (with the `download` attribute). */
export function csvDataUrl(csv: string): string {
	return `data:text/csv;charset=utf-8,${encodeURIComponent(csv)}`;
}

import { checkLead, leadKey, mergeLead, sameLead, type DeviceDirectory, type LeadValues } from './lead-input.ts';
import { LEAD_CSV, readLeadCsvInSlices, type CsvShape } from './lead-csv.ts';
import { toLeadValues, type LeadRow } from './lead-store.ts';
import type { ImportReport, ImportRowReport } from './leads.params.ts';

export type WriteStatus = 'created' | 'updated' | 'unchanged';

/** Where an import writes: the leads of the user's numbers, or the AI pool (one lead per phone). */
export interface LeadWriter {
	/** The stored leads among these (device, phone) pairs. */
	existing(userId: string, keys: LeadValues[]): Promise<LeadRow[]>;
	/** Inserts new pairs and overwrites stored ones with the values given; `created` tells which was which. */
	upsert(userId: string, rows: LeadValues[]): Promise<{ id: string; device_id: string; phone: string; created: boolean }[]>;
}

/**
 * Creates or updates a batch of leads (distinct device and phone) in two statements: the stored
 * ones are read, merged with what is new (tags united, given scalars winning), and everything that
 * changed is upserted at once. A lead that would not change is not written.
 */
export async function writeLeads(store: LeadWriter, userId: string, batch: LeadValues[]): Promise<Map<string, { status: WriteStatus; id: string }>> {
	const stored = new Map((await store.existing(userId, batch)).map(row => [leadKey(toLeadValues(row)), row]));
	const outcomes = new Map<string, { status: WriteStatus; id: string }>();
	const changed: LeadValues[] = [];
	for (const values of batch) {
		const old = stored.get(leadKey(values));
		const merged = old ? mergeLead(toLeadValues(old), values) : values;
		if (old && sameLead(merged, toLeadValues(old))) outcomes.set(leadKey(values), { status: 'unchanged', id: old.id });
		else changed.push(merged);
	}
	if (changed.length) {
		for (const row of await store.upsert(userId, changed)) {
			outcomes.set(leadKey({ deviceId: row.device_id, phone: row.phone }), { status: row.created ? 'created' : 'updated', id: row.id });
		}
	}
	return outcomes;
}

export interface ImportOptions {
	store: LeadWriter;
	userId: string;
	/** Null: leads of the AI pool, on no number. */
	devices: DeviceDirectory | null;
	/** The file's columns (default: leads with a device column). */
	shape?: CsvShape;
	/** Device ids the rows are spread over in turn, for a file without a device column. */
	spreadOver?: string[];
	country: string | null;
	batchSize: number;
	/** After each batch: data rows done so far, of all. */
	onProgress(processed: number, total: number): void;
}

interface Group {
	values: LeadValues;
	lines: number[];
}

const CHECKS_PER_TURN = 500;

/** The reason a row is refused, from every problem found in it. */
function reasonOf(problems: { message: string }[]): string {
	return problems.map(p => p.message).join(' ');
}

/**
 * Imports a CSV of leads: each row checked on its own (a bad row is reported and skipped), rows
 * with the same device and phone merged into one lead, then written in batches.
 */
export async function importLeads(csv: string, options: ImportOptions): Promise<Omit<ImportReport, 'importId'>> {
	const { rows, rejected } = await readLeadCsvInSlices(csv, options.shape ?? LEAD_CSV);
	const spread = options.spreadOver ?? [];
	const report: ImportRowReport[] = rejected.map(r => ({ row: r.line, status: 'rejected', reason: r.reason }));
	const groups = new Map<string, Group>();
	for (const [i, { line, input }] of rows.entries()) {
		// Checking a phone number takes a while: other requests get their turn every few hundred rows.
		if (i % CHECKS_PER_TURN === CHECKS_PER_TURN - 1) await new Promise(resolve => setImmediate(resolve));
		const checked = checkLead(spread.length ? { ...input, device: spread[i % spread.length] } : input, options.devices, options.country);
		if ('problems' in checked) {
			report.push({ row: line, phone: input.phone || undefined, status: 'rejected', reason: reasonOf(checked.problems) });
			continue;
		}
		const key = leadKey(checked.values);
		const group = groups.get(key);
		if (group) {
			group.values = mergeLead(group.values, checked.values);
			group.lines.push(line);
		} else {
			groups.set(key, { values: checked.values, lines: [line] });
		}
	}

	const all = [...groups.values()];
	const total = rows.length + rejected.length;
	// Rejected rows are done already; the rest count as their batch is written.
	let processed = total - all.reduce((n, g) => n + g.lines.length, 0);
	const counts = { created: 0, updated: 0, merged: 0 };
	for (let start = 0; start < all.length; start += options.batchSize) {
		const batch = all.slice(start, start + options.batchSize);
		const outcomes = await writeLeads(options.store, options.userId, batch.map(g => g.values));
		for (const group of batch) {
			const status = outcomes.get(leadKey(group.values))?.status === 'created' ? 'created' : 'updated';
			counts[status] += 1;
			const [first, ...duplicates] = group.lines;
			report.push({ row: first, phone: group.values.phone, status });
			for (const line of duplicates) {
				counts.merged += 1;
				report.push({ row: line, phone: group.values.phone, status, reason: `Same ${options.devices ? 'device and phone' : 'phone'} as row ${first}: merged into it.` });
			}
			processed += group.lines.length;
		}
		options.onProgress(processed, total);
	}
	if (!all.length) options.onProgress(total, total);
	report.sort((a, b) => a.row - b.row);
	const rejectedCount = report.filter(r => r.status === 'rejected').length;
	return { total, created: counts.created, updated: counts.updated, rejected: rejectedCount, merged: counts.merged, rows: report };
}

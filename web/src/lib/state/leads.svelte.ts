import {
	createLead,
	deleteLead,
	importLeadCsv,
	listLeads,
	updateLead,
	type CreateParams,
	type ImportReport,
	type LeadChanges,
	type LeadDto,
	type LeadFilters,
} from '../api/leads.ts';
import { onReconnect, subscribe } from '../api/ws.ts';

export const PAGE_SIZE = 50;

/** One page of the signed-in user's leads with the filters that chose it, kept live while the Leads page is open. */
class Leads {
	items = $state<LeadDto[]>([]);
	total = $state(0);
	page = $state(1);
	filters = $state<LeadFilters>({});
	loading = $state(false);
	loaded = $state(false);
	loadError = $state<unknown>(null);
	pages = $derived(Math.max(1, Math.ceil(this.total / PAGE_SIZE)));
	filtered = $derived(Object.values(this.filters).some((value) => value !== undefined && value !== ''));
	#open = false;
	/** Only the newest read may fill the page: an older answer for other filters is dropped. */
	#read = 0;
	#stale = false;

	get open(): boolean {
		return this.#open;
	}

	async start(): Promise<void> {
		this.#open = true;
		await this.load();
	}

	/** Forgets the page and any import report, so another user never sees them. */
	stop(): void {
		this.#open = false;
		leadImport.clear();
		this.#read += 1;
		this.items = [];
		this.total = 0;
		this.page = 1;
		this.filters = {};
		this.loaded = false;
		this.loading = false;
		this.loadError = null;
	}

	setFilters(filters: LeadFilters): void {
		this.filters = filters;
		void this.load(1);
	}

	goTo(page: number): void {
		void this.load(Math.min(Math.max(1, page), this.pages));
	}

	/** Reads a page; `page` and `items` change together when it arrives, so the pager never runs ahead of the rows. */
	async load(page = this.page): Promise<void> {
		const read = ++this.#read;
		this.loading = true;
		this.loadError = null;
		this.#stale = false;
		try {
			const { items, total } = await listLeads($state.snapshot(this.filters), page, PAGE_SIZE);
			if (!this.#open || read !== this.#read) return;
			this.items = items;
			this.total = total;
			this.page = page;
			this.loaded = true;
			// The last lead of the last page went elsewhere: show the page that is now last.
			if (items.length === 0 && page > this.pages) void this.load(this.pages);
		} catch (error) {
			if (read === this.#read) this.loadError = error;
		} finally {
			if (read === this.#read) {
				this.loading = false;
				if (this.#stale) void this.load();
			}
		}
	}

	/** Reads the page again after a change made elsewhere; a burst of changes costs one more read, not one each. */
	refresh(): void {
		if (!this.#open) return;
		if (this.loading) this.#stale = true;
		else void this.load();
	}

	async add(lead: CreateParams): Promise<LeadDto> {
		const created = await createLead(lead);
		this.refresh();
		return created;
	}

	async change(id: string, changes: LeadChanges): Promise<void> {
		this.put(await updateLead(id, changes));
	}

	async remove(id: string): Promise<void> {
		await deleteLead(id);
		this.drop(id);
	}

	/** A lead changed: shown in place; with filters on, the server says whether it still belongs here. */
	put(lead: LeadDto): void {
		if (!this.#open) return;
		const index = this.items.findIndex((kept) => kept.id === lead.id);
		if (index !== -1) this.items[index] = lead;
		if (this.filtered) this.refresh();
	}

	drop(id: string): void {
		if (!this.#open) return;
		const before = this.items.length;
		this.items = this.items.filter((lead) => lead.id !== id);
		if (this.items.length < before) this.total -= 1;
		// The next lead moves up into this page, and the total must be the server's.
		this.refresh();
	}
}

export const leads = new Leads();

/** Made in the browser so the page knows its own import's progress events; works without a secure context. */
function newImportId(): string {
	const bytes = crypto.getRandomValues(new Uint8Array(12));
	return `import-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

/** The CSV import in progress or just finished: progress from the server's events, then its row report. */
class LeadImport {
	importId = $state<string | null>(null);
	fileName = $state('');
	processed = $state(0);
	total = $state(0);
	running = $state(false);
	report = $state<ImportReport | null>(null);
	error = $state<unknown>(null);

	/** `spread`: the file has no device column, and its rows go to the user's numbers in turn. */
	async run(csv: Blob | string, fileName: string, spread = false): Promise<void> {
		const importId = newImportId();
		this.importId = importId;
		this.fileName = fileName;
		this.processed = 0;
		this.total = 0;
		this.report = null;
		this.error = null;
		this.running = true;
		try {
			const report = await importLeadCsv(csv, importId, spread);
			if (this.importId !== importId) return;
			this.report = report;
			this.processed = this.total = report.total;
			leads.refresh();
		} catch (error) {
			if (this.importId === importId) this.error = error;
		} finally {
			if (this.importId === importId) this.running = false;
		}
	}

	progress(importId: string, processed: number, total: number): void {
		if (importId !== this.importId || !this.running) return;
		this.total = total;
		this.processed = Math.max(this.processed, processed);
	}

	clear(): void {
		this.importId = null;
		this.fileName = '';
		this.report = null;
		this.error = null;
		this.running = false;
	}
}

export const leadImport = new LeadImport();

subscribe('lead.created', () => leads.refresh());
subscribe('lead.updated', ({ lead }) => leads.put(lead));
subscribe('lead.deleted', ({ leadId }) => leads.drop(leadId));
subscribe('lead.imported', () => leads.refresh());
subscribe('lead.import-progress', ({ importId, processed, total }) => leadImport.progress(importId, processed, total));

onReconnect(() => {
	// Events sent while we were away are lost: read the page again.
	if (leads.open) void leads.load();
});

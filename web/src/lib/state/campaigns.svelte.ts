import { listCampaigns, type CampaignDto, type CampaignStatus } from '../api/campaigns.ts';
import { onReconnect, subscribe } from '../api/ws.ts';
import { addMonths, gridRange, monthGrid, monthNow, type MonthRef } from '../calendar-month.ts';

/** A burst of changes (a campaign firing and finishing) re-reads the counts once. */
const SUMMARY_COALESCE_MS = 250;

/** The campaigns on the calendar's month and the counts of all of them, kept live while the page is open. */
class CampaignCalendar {
	/** Kept when the page closes, so coming back from a campaign shows the same month. */
	month = $state<MonthRef | null>(null);
	weeks = $derived(this.month ? monthGrid(this.month) : []);
	items = $state<CampaignDto[]>([]);
	summary = $state<Record<CampaignStatus, number> | null>(null);
	timeZone = $state('UTC');
	loading = $state(false);
	loaded = $state(false);
	loadError = $state<unknown>(null);
	#open = false;
	#range = { from: '', to: '' };
	#request = 0;
	#summaryTimer: ReturnType<typeof setTimeout> | undefined;

	get open(): boolean {
		return this.#open;
	}

	/** Starts following the calendar; `stop` forgets what it showed, so another user never sees it. */
	async start(timeZone: string): Promise<void> {
		this.#open = true;
		this.timeZone = timeZone;
		this.month ??= monthNow(timeZone);
		await this.load();
	}

	stop(): void {
		this.#open = false;
		clearTimeout(this.#summaryTimer);
		this.items = [];
		this.summary = null;
		this.loaded = false;
		this.loadError = null;
	}

	show(month: MonthRef): Promise<void> {
		this.month = month;
		return this.load();
	}

	step(months: number): Promise<void> {
		return this.show(addMonths(this.month ?? monthNow(this.timeZone), months));
	}

	showToday(): Promise<void> {
		return this.show(monthNow(this.timeZone));
	}

	async load(): Promise<void> {
		if (!this.month) return;
		// Paging quickly through months: only the answer to the last request is shown.
		const request = ++this.#request;
		const range = gridRange(monthGrid(this.month), this.timeZone);
		this.loading = true;
		this.loadError = null;
		try {
			const { items, summary } = await listCampaigns(range);
			if (!this.#open || request !== this.#request) return;
			this.#range = range;
			this.items = items;
			this.summary = summary;
			this.loaded = true;
		} catch (error) {
			if (request === this.#request) this.loadError = error;
		} finally {
			if (request === this.#request) this.loading = false;
		}
	}

	/** A campaign created or changed anywhere: shown if it falls in the month, and the counts re-read. */
	put(campaign: CampaignDto): void {
		if (!this.#open) return;
		const at = Date.parse(campaign.scheduledAt);
		const shown = at >= Date.parse(this.#range.from) && at < Date.parse(this.#range.to);
		const others = this.items.filter((kept) => kept.id !== campaign.id);
		this.items = shown ? [...others, campaign] : others;
		this.#refreshSummary();
	}

	drop(id: string): void {
		if (!this.#open) return;
		this.items = this.items.filter((kept) => kept.id !== id);
		this.#refreshSummary();
	}

	#refreshSummary(): void {
		clearTimeout(this.#summaryTimer);
		this.#summaryTimer = setTimeout(async () => {
			try {
				// An empty range: the counts without the items.
				const { summary } = await listCampaigns({ from: this.#range.from, to: this.#range.from });
				if (this.#open) this.summary = summary;
			} catch (error) {
				console.error('Could not re-read the campaign counts', error);
			}
		}, SUMMARY_COALESCE_MS);
	}
}

export const campaignCalendar = new CampaignCalendar();

subscribe('campaign.updated', ({ campaign }) => campaignCalendar.put(campaign));
subscribe('campaign.deleted', ({ campaignId }) => campaignCalendar.drop(campaignId));

onReconnect(() => {
	// Events sent while we were away are lost: re-read the month.
	if (campaignCalendar.open) void campaignCalendar.load();
});

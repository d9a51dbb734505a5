import {
	cancelCampaign,
	cloneCampaign,
	deleteCampaign,
	fetchCampaign,
	fetchReport,
	isNoSuchCampaign,
	resendInterrupted,
	retryFailed,
	type CampaignDto,
	type ReportDto,
} from '../api/campaigns.ts';
import { onReconnect, subscribe } from '../api/ws.ts';

/** The campaign whose page is open: its record and its report, kept live by events (no polling). */
class CampaignView {
	id = $state<string | null>(null);
	campaign = $state<CampaignDto | null>(null);
	report = $state<ReportDto | null>(null);
	loading = $state(false);
	loadError = $state<unknown>(null);
	/** No such campaign, or another user's (the server answers the same 404 for both). */
	notFound = $state(false);
	/** Deleted while open (here or elsewhere). */
	deleted = $state(false);
	#progressDuringLoad = false;

	async start(id: string): Promise<void> {
		this.stop();
		this.id = id;
		await this.load();
	}

	stop(): void {
		this.id = null;
		this.campaign = null;
		this.report = null;
		this.loadError = null;
		this.notFound = false;
		this.deleted = false;
	}

	async load(): Promise<void> {
		const id = this.id;
		if (!id) return;
		this.loading = true;
		this.loadError = null;
		this.#progressDuringLoad = false;
		try {
			const [campaign, report] = await Promise.all([fetchCampaign(id), fetchReport(id)]);
			if (this.id !== id) return;
			this.campaign = campaign;
			// A progress event that came in meanwhile is at least as new as this answer.
			if (!this.#progressDuringLoad) this.report = report;
		} catch (error) {
			if (this.id !== id) return;
			if (isNoSuchCampaign(error)) this.notFound = true;
			else this.loadError = error;
		} finally {
			if (this.id === id) this.loading = false;
		}
	}

	put(campaign: CampaignDto): void {
		if (campaign.id === this.id) this.campaign = campaign;
	}

	progress(report: ReportDto): void {
		if (report.campaignId !== this.id) return;
		this.report = report;
		this.#progressDuringLoad = true;
	}

	gone(id: string): void {
		if (id === this.id) this.deleted = true;
	}

	async cancel(): Promise<void> {
		if (this.id) this.put(await cancelCampaign(this.id));
	}

	async remove(): Promise<void> {
		if (this.id) await deleteCampaign(this.id);
	}

	/** The copy (a draft), to open in the editor. */
	clone(): Promise<CampaignDto> {
		return cloneCampaign(this.id!);
	}

	/** The new counters follow as a progress event. */
	async retryFailed(deviceId?: string): Promise<number> {
		return this.id ? (await retryFailed(this.id, deviceId)).retried : 0;
	}

	async resendInterrupted(): Promise<number> {
		return this.id ? (await resendInterrupted(this.id)).retried : 0;
	}
}

export const campaignView = new CampaignView();

subscribe('campaign.updated', ({ campaign }) => campaignView.put(campaign));
subscribe('campaign.progress', ({ report }) => campaignView.progress(report));
subscribe('campaign.deleted', ({ campaignId }) => campaignView.gone(campaignId));

onReconnect(() => {
	// Progress sent while we were away is lost: re-read the campaign and its report.
	if (campaignView.id && !campaignView.deleted) void campaignView.load();
});

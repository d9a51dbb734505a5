import sharp from 'sharp';
import type { ServiceSchema } from 'moleculer';
import { asSchema } from '../../mixins/service-schema.ts';
import CampaignsService from '../../services/campaigns/campaigns.service.ts';
import type { ReportDto } from '../../services/campaigns/campaigns.params.ts';
import LeadsService from '../../services/leads/leads.service.ts';
import InboxService from '../../services/inbox/inbox.service.ts';
import SequencesService from '../../services/sequences/sequences.service.ts';
import MediaService from '../../services/media/media.service.ts';
import MessagesService from '../../services/messages/messages.service.ts';
import AiCampaignsService from '../../services/ai-campaigns/ai-campaigns.service.ts';
import AiLeadsService from '../../services/ai-leads/ai-leads.service.ts';
import { DEVICE_NODE_SERVICES } from './devices.ts';
import type { Client } from './http.ts';

/** Everything a campaign goes through, on one node. */
export const CAMPAIGN_NODE_SERVICES: ServiceSchema[] = [...DEVICE_NODE_SERVICES, ...[LeadsService, MessagesService, CampaignsService, MediaService, InboxService, SequencesService, AiCampaignsService, AiLeadsService].map(asSchema)];

/** Quick loops for tests: campaigns looked for and progress pushed every 100 ms. */
export const FAST_CAMPAIGN_SETTINGS = { campaigns: { tickMs: 100 }, messages: { progressIntervalMs: 100 } };

/** Pacing off, for tests that are not about pacing. */
export const NO_PACING = { minDelaySeconds: 0, maxDelaySeconds: 0, hourlyCap: 10_000, dailyCap: 100_000, warmUp: false, quietHours: null };

/** Polls a campaign's report until `check` passes. */
export async function waitForReport(client: Client, campaignId: string, check: (report: ReportDto) => boolean, timeoutMs = 30_000): Promise<ReportDto> {
	const deadline = Date.now() + timeoutMs;
	let last: ReportDto | undefined;
	while (Date.now() < deadline) {
		const { status, body } = await client.get(`/api/campaigns/${campaignId}/report`);
		if (status === 200) {
			last = body;
			if (check(body)) return body;
		}
		await new Promise(resolve => setTimeout(resolve, 100));
	}
	throw new Error(`Campaign ${campaignId} did not reach the expected state in ${timeoutMs} ms; last report ${JSON.stringify(last)}`);
}

/** Sent, delivered or read: it left. */
export const reached = (c: { sent: number; delivered: number; read: number }) => c.sent + c.delivered + c.read;

/** A photo-like test image (noise, so it compresses like a photo). */
export function testImage(width = 800, height = 600): Promise<Buffer> {
	return sharp({ create: { width, height, channels: 3, background: '#3a7', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
		.png()
		.toBuffer();
}

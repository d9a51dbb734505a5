/**
 * What `/ws` sends a browser: `hello` once its credential checks out, `pong` for a ping, and the
 * events each domain declares for its users' browsers. The gateway subscribes to these names; the
 * dashboard's socket client types its handlers with the same map.
 */
import { CAMPAIGN_BROWSER_EVENTS, type CampaignBrowserEvents } from '../campaigns/campaigns.events.ts';
import { DEVICE_BROWSER_EVENTS, type DeviceBrowserEvents } from '../devices/devices.events.ts';
import { INBOX_BROWSER_EVENTS, type InboxBrowserEvents } from '../inbox/inbox.events.ts';
import { LEAD_BROWSER_EVENTS, type LeadBrowserEvents } from '../leads/leads.events.ts';
import { SEQUENCE_BROWSER_EVENTS, type SequenceBrowserEvents } from '../sequences/sequences.events.ts';
import { AI_CAMPAIGN_BROWSER_EVENTS, type AiCampaignBrowserEvents } from '../ai-campaigns/ai-campaigns.events.ts';
import { USER_BROWSER_EVENTS, type UserBrowserEvents } from '../users/users.events.ts';

/** Domain events pushed to the browsers of the user named in the payload's `userId`. */
export type BrowserEvents = UserBrowserEvents & DeviceBrowserEvents & LeadBrowserEvents & CampaignBrowserEvents & InboxBrowserEvents & SequenceBrowserEvents & AiCampaignBrowserEvents;

export const BROWSER_EVENTS: (keyof BrowserEvents)[] = [...USER_BROWSER_EVENTS, ...DEVICE_BROWSER_EVENTS, ...LEAD_BROWSER_EVENTS, ...CAMPAIGN_BROWSER_EVENTS, ...INBOX_BROWSER_EVENTS, ...SEQUENCE_BROWSER_EVENTS, ...AI_CAMPAIGN_BROWSER_EVENTS];

/** Every frame a socket receives, by type. */
export interface SocketFrames extends BrowserEvents {
	hello: { userId: string };
	pong: Record<string, never>;
}

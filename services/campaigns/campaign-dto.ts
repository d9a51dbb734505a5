import { Errors, type Context } from 'moleculer';
import { checkTemplate, tenantGreeting } from '../messages/compose.ts';
import type { UserDto } from '../users/users.params.ts';
import type { Campaign } from './campaign.entity.ts';
import type { CampaignDto, CampaignFields } from './campaigns.params.ts';
import { instantOf, parseInstant, wallTimeAt } from '../shared/zoned-time.ts';

const { ValidationError } = Errors;

function invalid(field: string, message: string): Error {
	return new ValidationError(message, 'VALIDATION_ERROR', [{ field, message, type: field }]);
}

export function toCampaignDto(c: Campaign): CampaignDto {
	const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;
	return {
		id: c.id,
		title: c.title,
		scheduledAt: c.scheduledAt.toISOString(),
		niche: c.niche ?? null,
		targetStatus: c.targetStatus,
		message: c.message,
		imageUrl: c.imageUrl ?? null,
		mediaId: c.mediaId ?? null,
		greeting: c.greeting,
		minDelaySeconds: c.minDelaySeconds,
		maxDelaySeconds: c.maxDelaySeconds,
		status: c.status,
		statusReason: c.statusReason ?? null,
		shouldSend: c.shouldSend,
		skippedOptedOut: c.skippedOptedOut,
		firedAt: iso(c.firedAt),
		finishedAt: iso(c.finishedAt),
		createdAt: c.createdAt.toISOString(),
		updatedAt: c.updatedAt.toISOString(),
	};
}

/** What the campaign editor writes, of a campaign or an AI campaign. */
export type EditableCampaign = Pick<Campaign, 'title' | 'scheduledAt' | 'niche' | 'targetStatus' | 'message' | 'greeting' | 'minDelaySeconds' | 'maxDelaySeconds' | 'imageUrl' | 'mediaId'> & { status: string };

/** Applies the editor's fields; an image URL is fetched and compressed once, here, not per recipient. */
export async function applyFields(ctx: Context, c: EditableCampaign, f: Partial<CampaignFields>): Promise<void> {
	if (f.title !== undefined) c.title = f.title;
	if (f.scheduledAt !== undefined) {
		// With its offset: a bare local time would be read in the server's zone. A date no calendar has is refused, not rolled over.
		const at = parseInstant(f.scheduledAt);
		if (!at) throw invalid('scheduledAt', 'Use a real date and time in ISO 8601 with its offset, e.g. 2026-12-01T09:00:00+08:00.');
		c.scheduledAt = at;
	}
	if (f.niche !== undefined) c.niche = f.niche || null;
	if (f.targetStatus !== undefined) c.targetStatus = f.targetStatus;
	if (f.message !== undefined) c.message = f.message;
	if (f.greeting !== undefined) c.greeting = f.greeting;
	// The greeting counts towards the length as the tenant's own set of that language has it.
	const greetings = c.greeting === 'none' ? {} : (await ctx.call<UserDto>('users.me')).greetings;
	const problem = checkTemplate(c.message, { greeting: tenantGreeting(c.greeting, greetings) }).find(p => p.severity === 'error');
	if (problem) throw invalid('message', problem.message);
	if (f.minDelaySeconds !== undefined) c.minDelaySeconds = f.minDelaySeconds;
	if (f.maxDelaySeconds !== undefined) c.maxDelaySeconds = f.maxDelaySeconds;
	if (c.minDelaySeconds > c.maxDelaySeconds) throw invalid('minDelaySeconds', 'The minimum delay must not be longer than the maximum delay.');
	if (f.draft !== undefined) c.status = f.draft ? 'draft' : 'scheduled';
	if (f.imageUrl) {
		if (f.imageUrl !== c.imageUrl || !c.mediaId) {
			const media = await ctx.call<{ id: string }, { url: string }>('media.fromUrl', { url: f.imageUrl });
			c.mediaId = media.id;
		}
		c.imageUrl = f.imageUrl;
	} else if (f.mediaId) {
		// Someone else's image is "no such image" (404) from the media service.
		await ctx.call('media.content', { id: f.mediaId, userId: (ctx.meta as { user: { id: string } }).user.id });
		c.mediaId = f.mediaId;
		c.imageUrl = null;
	} else if (f.imageUrl === null || f.mediaId === null) {
		c.imageUrl = null;
		c.mediaId = null;
	}
}

/** A clone is dated today (in the tenant's zone) at the original's local time. */
export function cloneScheduledAt(original: Date, timeZone: string, now: Date): Date {
	const { hour, minute, second } = wallTimeAt(original, timeZone);
	return new Date(instantOf({ ...wallTimeAt(now, timeZone), hour, minute, second }, timeZone));
}

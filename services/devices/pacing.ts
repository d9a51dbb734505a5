/** A number's pacing rules: its gap between messages, hourly and daily caps, warm-up and quiet hours. */
import type { PreparedMessage } from '../messages/preparation.ts';
import { wallTimeAt } from '../shared/zoned-time.ts';

/** A device's pacing as the dispatcher applies it: gaps, caps, warm-up and quiet hours of one number. */
export interface DevicePacing {
	minDelaySeconds: number;
	maxDelaySeconds: number;
	hourlyCap: number;
	dailyCap: number;
	warmUp: boolean;
	/** Minutes after local midnight in `timeZone`, or null. */
	quietStartMinute: number | null;
	quietEndMinute: number | null;
	timeZone: string;
	/** When the number joined Fleetcast (the warm-up curve counts days from it). */
	since: number;
}

const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** Daily cap of a new number on its first days when warm-up is on; then its own cap. */
export const WARM_UP_DAILY_CAPS = [20, 40, 60, 100, 150, 250, 400];

/** Local minute of the day in a time zone. */
function localMinute(now: number, timeZone: string): number {
	const { hour, minute } = wallTimeAt(now, timeZone);
	return hour * 60 + minute;
}

export function inQuietHours(pacing: Pick<DevicePacing, 'quietStartMinute' | 'quietEndMinute' | 'timeZone'>, now: number): boolean {
	const { quietStartMinute: start, quietEndMinute: end } = pacing;
	if (start === null || end === null) return false;
	const minute = localMinute(now, pacing.timeZone);
	return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

export function dailyCapOf(pacing: DevicePacing, now: number): number {
	if (!pacing.warmUp) return pacing.dailyCap;
	const day = Math.floor((now - pacing.since) / DAY_MS);
	return Math.min(pacing.dailyCap, WARM_UP_DAILY_CAPS[day] ?? pacing.dailyCap);
}

/**
 * When a device may send next given its caps: now, or when its oldest send in the full window
 * leaves it. Messages wait; they are never dropped.
 */
export function capFreeAt(pacing: DevicePacing, sends: number[], now: number): number {
	const lastHour = sends.filter(t => t > now - HOUR_MS);
	let at = now;
	if (lastHour.length >= pacing.hourlyCap) at = Math.max(at, lastHour[lastHour.length - pacing.hourlyCap] + HOUR_MS);
	const cap = dailyCapOf(pacing, now);
	const lastDay = sends.filter(t => t > now - DAY_MS);
	if (lastDay.length >= cap) at = Math.max(at, lastDay[lastDay.length - cap] + DAY_MS);
	return at;
}

/** The pause after a send: random between the larger of the message's and the number's min and max delays. */
export function gapMs(message: Pick<PreparedMessage, 'minDelaySeconds' | 'maxDelaySeconds'>, pacing: DevicePacing, random = Math.random): number {
	const min = Math.max(message.minDelaySeconds, pacing.minDelaySeconds);
	const max = Math.max(message.maxDelaySeconds, pacing.maxDelaySeconds, min);
	return Math.round((min + random() * (max - min)) * 1000);
}

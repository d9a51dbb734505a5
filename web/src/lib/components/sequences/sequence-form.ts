/** Waits as the sequence pages show and edit them. */

export type WaitUnit = 'seconds' | 'minutes' | 'hours' | 'days';

const UNIT_SECONDS: Record<WaitUnit, number> = { seconds: 1, minutes: 60, hours: 3_600, days: 86_400 };

/** A wait as people say it: "now", "45 min", "6 h", "2 days". */
export function waitText(seconds: number): string {
	if (seconds === 0) return 'now';
	if (seconds % 86_400 === 0) return `${seconds / 86_400} day${seconds === 86_400 ? '' : 's'}`;
	if (seconds % 3_600 === 0) return `${seconds / 3_600} h`;
	if (seconds % 60 === 0) return `${seconds / 60} min`;
	return `${seconds} s`;
}

/** The largest unit a wait is a whole number of, so editing it never rounds it. */
export function splitWait(seconds: number): { amount: number; unit: WaitUnit } {
	if (seconds > 0 && seconds % 86_400 === 0) return { amount: seconds / 86_400, unit: 'days' };
	if (seconds > 0 && seconds % 3_600 === 0) return { amount: seconds / 3_600, unit: 'hours' };
	if (seconds % 60 === 0) return { amount: seconds / 60, unit: 'minutes' };
	return { amount: seconds, unit: 'seconds' };
}

export const joinWait = (amount: number, unit: WaitUnit) => Math.max(0, Math.round(amount * UNIT_SECONDS[unit]));

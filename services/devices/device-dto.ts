import type { Device } from './device.entity.ts';
import type { DeviceDto, Pacing } from './devices.params.ts';

function clock(minute: number): string {
	return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

function minuteOf(clockTime: string): number {
	const [h, m] = clockTime.split(':').map(Number);
	return h * 60 + m;
}

/** Quiet hours as minutes after local midnight, as stored. */
export function quietMinutes(quietHours: Pacing['quietHours']): { quietStartMinute: number | null; quietEndMinute: number | null } {
	return quietHours ? { quietStartMinute: minuteOf(quietHours.start), quietEndMinute: minuteOf(quietHours.end) } : { quietStartMinute: null, quietEndMinute: null };
}

export function toDeviceDto(device: Device): DeviceDto {
	return {
		id: device.id,
		name: device.name,
		phone: device.phone ?? null,
		jid: device.jid ?? null,
		lid: device.lid ?? null,
		status: device.status,
		statusReason: device.statusReason ?? null,
		lastSeenAt: device.lastSeenAt?.toISOString() ?? null,
		createdAt: device.createdAt.toISOString(),
		pacing: {
			minDelaySeconds: device.minDelaySeconds,
			maxDelaySeconds: device.maxDelaySeconds,
			hourlyCap: device.hourlyCap,
			dailyCap: device.dailyCap,
			warmUp: device.warmUp,
			quietHours:
				device.quietStartMinute === null || device.quietStartMinute === undefined || device.quietEndMinute === null || device.quietEndMinute === undefined
					? null
					: { start: clock(device.quietStartMinute), end: clock(device.quietEndMinute) },
		},
	};
}

/** Applies a (partial) pacing change; returns an error message when the result is inconsistent. */
export function applyPacing(device: Device, pacing: Partial<Pacing>): string | undefined {
	if (pacing.minDelaySeconds !== undefined) device.minDelaySeconds = pacing.minDelaySeconds;
	if (pacing.maxDelaySeconds !== undefined) device.maxDelaySeconds = pacing.maxDelaySeconds;
	if (pacing.hourlyCap !== undefined) device.hourlyCap = pacing.hourlyCap;
	if (pacing.dailyCap !== undefined) device.dailyCap = pacing.dailyCap;
	if (pacing.warmUp !== undefined) device.warmUp = pacing.warmUp;
	if (pacing.quietHours !== undefined) {
		Object.assign(device, quietMinutes(pacing.quietHours));
	}
	if (device.minDelaySeconds > device.maxDelaySeconds) return 'The minimum delay must not be longer than the maximum delay.';
	if (device.hourlyCap > device.dailyCap) return 'The hourly cap must not be above the daily cap.';
	if (device.quietStartMinute !== null && device.quietStartMinute !== undefined && device.quietStartMinute === device.quietEndMinute) {
		return 'Quiet hours must start and end at different times.';
	}
	return undefined;
}

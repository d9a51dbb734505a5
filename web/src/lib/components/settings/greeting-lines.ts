/** The hour a greeting starts at, as the clock shows it. */
export function hourLabel(hour: number): string {
	return `${String(hour).padStart(2, '0')}:00`;
}

/** The first hour after the last line's that no line starts at yet, for a line being added. */
export function freeHour(lines: readonly { fromHour: number }[]): number {
	const taken = new Set(lines.map(line => line.fromHour));
	const after = (lines.at(-1)?.fromHour ?? -1) + 1;
	for (let i = 0; i < 24; i++) {
		const hour = (after + i) % 24;
		if (!taken.has(hour)) return hour;
	}
	return 0;
}

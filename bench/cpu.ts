import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

/** utime + stime of a /proc/<pid>/stat line, in clock ticks of 1/100 s (the command name in brackets may hold spaces). */
function statCpuSeconds(stat: string): number {
	const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
	return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Linux only: CPU seconds (user + system) of one process. */
export function processCpuSeconds(pid: number | 'self'): number {
	try {
		return statCpuSeconds(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
	} catch {
		return Number.NaN;
	}
}

/** Linux only: CPU seconds (utime + stime) of every running process whose command name is `command`, by pid. */
export function cpuSecondsOf(command: string): Map<number, number> {
	const seconds = new Map<number, number>();
	for (const entry of fs.readdirSync('/proc', { withFileTypes: true })) {
		if (!entry.isDirectory() || !/^\d+$/.test(entry.name)) continue;
		try {
			const stat = fs.readFileSync(`/proc/${entry.name}/stat`, 'utf8');
			if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== command) continue;
			seconds.set(Number(entry.name), statCpuSeconds(stat));
		} catch {
			// the process ended while we looked
		}
	}
	return seconds;
}

/** Linux only: CPU seconds all processes on the machine have used (everything but idle and iowait). */
function machineCpuSeconds(): number {
	try {
		const [, ...ticks] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
		const [user, nice, system, , , irq, softirq, steal] = ticks;
		return (user + nice + system + irq + softirq + steal) / 100;
	} catch {
		return Number.NaN;
	}
}

export interface CpuShare {
	/** Average cores busy over the interval. */
	server: number;
	/** This benchmark process: the load generator or the database client. */
	bench: number;
	/** Anything else on the machine: on a 2-core box more than ~0.1 means the figures are disturbed. */
	others: number;
}

/**
 * Starts measuring who uses the CPU; call the result to read the shares since then. On a small
 * machine a concurrent test run changes the figures a lot, so every result line carries this.
 */
export function cpuMeter(server?: { cpuSeconds(): number }): () => CpuShare {
	const read = () => ({ at: performance.now(), machine: machineCpuSeconds(), server: server?.cpuSeconds() ?? 0, self: processCpuSeconds('self') });
	const start = read();
	return () => {
		const end = read();
		const seconds = (end.at - start.at) / 1000;
		const serverCores = (end.server - start.server) / seconds;
		const selfCores = (end.self - start.self) / seconds;
		return { server: serverCores, bench: selfCores, others: Math.max(0, (end.machine - start.machine) / seconds - serverCores - selfCores) };
	};
}

export function formatCpu(cpu: CpuShare, withServer = true): string {
	const parts = [withServer && `server ${cpu.server.toFixed(2)}`, `bench ${cpu.bench.toFixed(2)}`, `other processes ${cpu.others.toFixed(2)}`];
	return `CPU cores: ${parts.filter(Boolean).join(', ')}`;
}

import type { ServiceSchema } from 'moleculer';

/** What a ticking service must have. */
interface TickingService {
	settings: unknown;
	logger: { warn(...args: unknown[]): void };
}

/** One loop of a service whose `this` is `T` (its settings, methods and locals). */
export interface Tick<T extends TickingService> {
	/** Milliseconds between two runs: a number, or read from the service's settings once it is created. */
	everyMs: number | ((settings: T['settings']) => number);
	/** What to do; its errors are logged as warnings and the next run comes as usual. */
	run(this: T): Promise<unknown> | unknown;
}

/** What the mixin adds to a service. */
export interface TickerMethods {
	/** Runs the tick now, or joins the run in progress: a tick never runs twice at once on one service. */
	tickNow(name: string): Promise<void>;
}

interface TickerState {
	tickerTimers: NodeJS.Timeout[];
	tickerRuns: Map<string, Promise<void>>;
}

/**
 * Periodic loops, each single-flight: a run that is still going when the next is due is joined, not
 * doubled. Timers start after every `started` hook of the service (so a tick finds what those
 * opened) and stop before its `stopped` hooks, once the runs in progress have ended.
 * Correctness never depends on only one node ticking: every tick is an atomic claim in the database.
 */
export function TickerMixin<T extends TickingService>(ticks: Record<string, Tick<T>>): Partial<ServiceSchema> {
	const methods = {
		tickNow(this: T & TickerState, name: string): Promise<void> {
			const running = this.tickerRuns.get(name);
			if (running) return running;
			const run = (async () => {
				try {
					await ticks[name].run.call(this);
				} catch (err) {
					this.logger.warn(`The ${name} loop failed (it runs again): ${(err as Error).message}`);
				}
			})().finally(() => this.tickerRuns.delete(name));
			this.tickerRuns.set(name, run);
			return run;
		},
	};
	function startTicks(this: T & TickerState & TickerMethods) {
		for (const [name, tick] of Object.entries(ticks)) {
			const everyMs = typeof tick.everyMs === 'function' ? tick.everyMs(this.settings) : tick.everyMs;
			const timer = setInterval(() => void this.tickNow(name), everyMs);
			timer.unref();
			this.tickerTimers.push(timer);
		}
	}
	async function stopTicks(this: TickerState) {
		for (const timer of this.tickerTimers) clearInterval(timer);
		this.tickerTimers = [];
		await Promise.all(this.tickerRuns.values());
	}
	const mixin = {
		methods,
		merged(schema: ServiceSchema) {
			// Last among `started` hooks and, as `stopped` hooks run in reverse, first among those.
			schema.started = [...[schema.started ?? []].flat(), startTicks] as never;
			schema.stopped = [...[schema.stopped ?? []].flat(), stopTicks] as never;
		},
		created(this: TickerState) {
			this.tickerTimers = [];
			this.tickerRuns = new Map();
		},
	};
	return mixin as unknown as Partial<ServiceSchema>;
}

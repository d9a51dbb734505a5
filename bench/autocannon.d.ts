// autocannon ships no types; only what the benchmarks use.
declare module 'autocannon' {
	interface Histogram {
		average: number;
		mean: number;
		stddev: number;
		min: number;
		max: number;
		p50: number;
		p90: number;
		p99: number;
	}
	interface Options {
		url: string;
		connections?: number;
		duration?: number;
		pipelining?: number;
		method?: string;
		headers?: Record<string, string>;
		timeout?: number;
	}
	interface Result {
		requests: Histogram & { total: number };
		latency: Histogram;
		throughput: Histogram;
		duration: number;
		errors: number;
		timeouts: number;
		non2xx: number;
		'2xx': number;
		statusCodeStats: Record<string, { count: number }>;
	}
	function autocannon(options: Options): Promise<Result>;
	export default autocannon;
}

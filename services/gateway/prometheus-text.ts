import { MetricReporters, type MetricRegistry } from 'moleculer';

type PrometheusInternals = {
	opts: { defaultLabels: unknown };
	defaultLabels: unknown;
	generatePrometheusResponse(): string;
};

/**
 * Moleculer's Prometheus exposition without its own HTTP server: the gateway serves the text at
 * `/metrics` on the main port, so several nodes on one host never fight over a metrics port.
 */
export class PrometheusText extends MetricReporters.Prometheus {
	override init(registry: MetricRegistry): void {
		MetricReporters.Base.prototype.init.call(this, registry);
		const self = this as unknown as PrometheusInternals;
		const labels = self.opts.defaultLabels;
		self.defaultLabels = typeof labels === 'function' ? labels.call(this, registry) : labels;
	}

	override stop(): Promise<void> {
		return Promise.resolve();
	}

	text(): string {
		return (this as unknown as PrometheusInternals).generatePrometheusResponse();
	}
}

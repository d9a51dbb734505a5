import { MetricReporters, type MetricRegistry } from 'moleculer';

type PrometheusInternals = {
	opts: { defaultLabels: unknown };
	defaultLabels: unknown;
	generatePrometheusResponse(): string;
};

/** What the host is and who runs it: of no use to a dashboard, and of use to an attacker. */
const HOST_DETAILS = ['process.arguments', 'process.pid', 'process.ppid', 'os.hostname', 'os.release', 'os.user.*', 'os.network.*'];

/**
 * Moleculer's Prometheus exposition without its own HTTP server and without host details: the
 * gateway serves the text at `/metrics` on the main port (behind METRICS_TOKEN), so several nodes
 * on one host never fight over a metrics port.
 */
export class PrometheusText extends MetricReporters.Prometheus {
	/** `nodeID`: label each metric with the node id, for an operator who set NODE_ID (the default id is the host name and process id). */
	constructor({ nodeID = false } = {}) {
		super({
			excludes: HOST_DETAILS,
			defaultLabels: (registry: MetricRegistry) => ({ namespace: registry.broker.namespace, ...(nodeID ? { nodeID: registry.broker.nodeID } : {}) }),
		} as never);
	}

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

import { ServiceBroker } from 'moleculer';
import { describe, expect, it } from 'vitest';
import { PrometheusText } from '../../../services/gateway/prometheus-text.ts';

describe('the metrics Prometheus reads', () => {
	it('keep the process and OS figures but nothing that tells who runs the host, where, or how it is reached', async () => {
		const reporter = new PrometheusText();
		// Tests run with NODE_ENV=test, where Moleculer leaves the process figures out unless asked.
		const broker = new ServiceBroker({ logger: false, metrics: { enabled: true, collectProcessMetrics: true, reporter: [reporter as never] } });
		await broker.start();
		try {
			await expect.poll(() => /^os_memory_free/m.test(reporter.text())).toBe(true);
			const text = reporter.text();
			expect(text).toMatch(/^process_memory_heap_size_used/m);
			expect(text).not.toMatch(/os_hostname|os_release|os_user_|os_network_|process_pid|process_ppid|process_arguments/);
			// The default node id is the host name and process id: not a label unless NODE_ID named the node.
			expect(text).not.toContain(broker.nodeID);
		} finally {
			await broker.stop();
		}
	});
});

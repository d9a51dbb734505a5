import { Errors, type ServiceBroker } from 'moleculer';

/** How long one attempt may take, and how many attempts there are. */
const ATTEMPT_TIMEOUT_MS = 5_000;
const ATTEMPTS = 3;

interface Endpoint {
	id: string;
	isAvailable: boolean;
}

/**
 * Calls an action that only reads, giving each attempt a few seconds: when the node answering it
 * died without a word (SIGKILL, a lost machine), the broker still lists it until its heartbeat
 * times out, and a call routed there would wait the whole request timeout. Each further attempt
 * goes to a node not tried yet, when there is one.
 */
export async function readWithRetry<T>(broker: ServiceBroker, action: string, params: object): Promise<T> {
	const silent = new Set<string>();
	for (let attempt = 1; ; attempt++) {
		const others = (broker.registry.getActionEndpoints(action) as unknown as { endpoints?: Endpoint[] } | undefined)?.endpoints?.filter(e => e.isAvailable && !silent.has(e.id)) ?? [];
		const nodeID = silent.size && others.length ? others[Math.floor(Math.random() * others.length)]!.id : undefined;
		try {
			return await broker.call<T, object>(action, params, { timeout: ATTEMPT_TIMEOUT_MS, ...(nodeID ? { nodeID } : {}) });
		} catch (err) {
			const unreachable = err instanceof Errors.RequestTimeoutError || err instanceof Errors.ServiceNotAvailableError;
			if (!unreachable || attempt >= ATTEMPTS) throw err;
			const node = (err as Errors.MoleculerError).data?.nodeID as string | undefined;
			if (node) silent.add(node);
		}
	}
}

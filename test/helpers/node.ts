import { ServiceBroker, type ServiceSchema } from 'moleculer';
import { brokerConfig } from '../../moleculer.config.ts';
import { readEnv, type Env } from '../../mixins/env-settings.mixin.ts';
import { asSchema } from '../../mixins/service-schema.ts';
import GatewayService from '../../services/gateway/gateway.service.ts';
import UsersService from '../../services/users/users.service.ts';
import type { TestDatabase } from './databases.ts';

export interface TestNode {
	broker: ServiceBroker;
	/** http://127.0.0.1:<port> of its gateway, when it runs one. */
	url: string;
	port: number;
	stop(): Promise<void>;
}

export interface TestNodeOptions {
	db: TestDatabase;
	nodeID?: string;
	/** A transporter for this node only, e.g. 'Fake' for several brokers in one process. */
	transporter?: 'Fake' | null;
	services?: ServiceSchema[];
	env?: Partial<Env>;
	/** Settings merged into a service's own, by service name. */
	settings?: Record<string, Record<string, unknown>>;
}

/** What tests need other than a node's defaults: any free port, and room for the many accounts a test file makes from one address. */
const TEST_DEFAULTS: Record<string, Record<string, unknown>> = {
	gateway: { port: 0, host: '127.0.0.1' },
	users: { registerMaxPerAddress: 10_000 },
};

/**
 * A Fleetcast node in this process, configured exactly as `npm start` configures one, with its
 * gateway on a free port and logging off.
 */
export async function startNode(options: TestNodeOptions): Promise<TestNode> {
	const env: Env = { ...readEnv(), dataDir: options.db.dataDir, databaseUrl: options.db.databaseUrl, logLevel: 'warn', ...options.env };
	const config = brokerConfig(env);
	const broker = new ServiceBroker({
		...config,
		nodeID: options.nodeID ?? `test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
		transporter: options.transporter === undefined ? config.transporter : options.transporter,
		logger: process.env.TEST_LOGS ? config.logger : false,
	});
	const services = options.services ?? [asSchema(UsersService), asSchema(GatewayService)];
	for (const schema of services) {
		const settings = { ...TEST_DEFAULTS[schema.name as string], ...options.settings?.[schema.name] };
		broker.createService(Object.keys(settings).length ? { mixins: [schema], name: schema.name, settings } : schema);
	}
	await broker.start();
	const gateway = broker.getLocalService('gateway') as unknown as { port?: number } | undefined;
	const port = gateway?.port ?? 0;
	return { broker, port, url: `http://127.0.0.1:${port}`, stop: () => broker.stop() };
}

import type { BrokerOptions, Logger } from 'moleculer';
import { AuthMiddleware } from './mixins/auth.middleware.ts';
import { readEnv } from './mixins/env-settings.mixin.ts';
import { PrometheusText } from './services/gateway/prometheus-text.ts';
import { OrmMiddleware } from './mixins/orm.middleware.ts';
import { RecordMiddleware } from './mixins/record.middleware.ts';
import { FLEETCAST_SCHEMA } from './migrations/schema.ts';

/** The logger of the broker created last in this process: where a failure nobody awaited is told. */
let processLogger: Logger | undefined;

/**
 * A promise that fails with nobody to catch it is a defect to log, never a reason to stop a node
 * that holds devices and sends messages (Node's default is to exit).
 */
function logUnhandledRejections(logger: Logger): void {
	if (!processLogger) process.on('unhandledRejection', reason => processLogger?.error('A failure nobody handled (the node goes on):', reason));
	processLogger = logger;
}

/**
 * One process by default (local broker, embedded PGlite, memory cacher). TRANSPORTER, DATABASE_URL
 * and REDIS_URL switch each part to its real server; see the configuration table in README.md.
 */
export function brokerConfig(env = readEnv()): BrokerOptions {
	return {
		namespace: env.namespace,
		nodeID: env.nodeId,
		transporter: env.transporter ? { type: 'NATS', options: { url: env.transporter } } : null,
		cacher: env.redisUrl
			? { type: 'Redis', options: { redis: env.redisUrl as never, redlock: false as never, prefix: `${env.namespace}-cache`, ttl: 300 } }
			: { type: 'Memory', options: { ttl: 300 } },
		serializer: 'JSON',
		logger: {
			type: 'Console',
			options: { level: env.logLevel, formatter: env.logFormat === 'json' ? 'json' : 'short', colors: env.logFormat !== 'json' },
		},
		requestTimeout: 30_000,
		// A node that dies without a word (SIGKILL, a lost machine) is dropped after 15 s without heartbeats (Moleculer's default: 30 s).
		heartbeatInterval: 5,
		heartbeatTimeout: 15,
		// Finish requests in flight before the broker stops (SIGTERM/SIGINT).
		tracking: { enabled: true, shutdownTimeout: 10_000 },
		registry: { strategy: 'RoundRobin', preferLocal: true },
		metrics: { enabled: true, reporter: [new PrometheusText({ nodeID: Boolean(env.nodeId) }) as never] },
		tracing: { enabled: env.tracing, exporter: 'Console' },
		validator: true,
		// The first wraps innermost: the user is checked, then the EntityManager forked, then the record loaded.
		created: broker => logUnhandledRejections(broker.getLogger('process')),
		middlewares: [RecordMiddleware(), OrmMiddleware({ schema: FLEETCAST_SCHEMA, databaseUrl: env.databaseUrl, dataDir: env.dataDir, poolMax: env.databasePoolMax }), AuthMiddleware()],
	};
}

export default brokerConfig();

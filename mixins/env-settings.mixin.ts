import path from 'node:path';
import type { ServiceSchema } from 'moleculer';

/**
 * Every setting Fleetcast reads from the environment, parsed once. The README's configuration
 * table lists the same names; keep the two in step.
 */
export interface Env {
	port: number;
	host: string;
	nodeId: string | undefined;
	namespace: string;
	transporter: string | undefined;
	databaseUrl: string | undefined;
	dataDir: string;
	redisUrl: string | undefined;
	logLevel: string;
	logFormat: 'text' | 'json';
	tracing: boolean;
	services: string[] | undefined;
	bodyLimitBytes: number;
	/** Largest CSV body (lead imports). */
	importLimitBytes: number;
	sessionTtlDays: number;
	cookieSecure: boolean | undefined;
	/** The bearer token Prometheus sends for `/metrics`; without one the metrics are not served. */
	metricsToken: string | undefined;
	/** Which proxies in front may tell the client's address and protocol (see the gateway's client-address.ts). */
	trustProxy: string | undefined;
	webDist: string;
	databasePoolMax: number;
	/** Failed sign-ins of one email, from all addresses together, per 15 minutes. */
	loginMaxPerEmail: number;
	loginMaxPerAddress: number;
	/** Failed sign-ins for one email from one address before each next one doubles the wait. */
	loginFreeFailures: number;
	/** Accounts registered from one address per hour. */
	registerMaxPerAddress: number;
	/** Run with the WhatsApp double and demo phones (`npm run demo`). */
	demo: boolean;
	/** Control URL of a WhatsApp double to use instead of WhatsApp (tests, benchmarks). */
	whatsappDoubleUrl: string | undefined;
	deviceLeaseTtlSeconds: number;
	deviceConnectConcurrency: number;
	deviceMaxRestarts: number;
	deviceHandoverWave: number;
	deviceStartJitterMs: number;
	/** Pending messages fail with the reason after this many hours. */
	messageExpiryHours: number;
	/** Campaign progress is pushed at most this often. */
	progressIntervalMs: number;
	/** Messages kept per chat in the inbox (the oldest are pruned; at least 20). */
	inboxMessagesPerChat: number;
	/** Devices with nothing to send look again this often (enqueued messages wake them at once). */
	dispatchPollMs: number;
	/** Due campaigns are looked for this often. */
	campaignTickMs: number;
	/** A sequence step left half done this long ago was left by a node that died. */
	orphanAfterSeconds: number;
	/** After a 463 (WhatsApp holds a number's new chats), how long they wait before one is tried. */
	safetyTimelockPauseSeconds: number;
	/** Largest image file accepted from an upload, before it is re-encoded. */
	mediaUploadLimitBytes: number;
	/** Largest image fetched from an address; the download stops there. */
	mediaUrlLimitBytes: number;
	mediaUrlTimeoutMs: number;
	/** Let image addresses point at private, loopback and link-local networks (off: SSRF). */
	mediaUrlAllowPrivate: boolean;
	/** Images with more pixels are refused before they are decoded. */
	mediaMaxPixels: number;
	/** Replies that opt a lead out, compared whole, trimmed and case-insensitively. */
	leadStopWords: string[];
	/** Inbound lead webhook calls per key per minute (ten times as many per client address). */
	leadWebhookMaxPerMinute: number;
}

/** English and Malay: the tenants this was first built for write in both. */
const DEFAULT_STOP_WORDS = 'STOP,STOP ALL,UNSUBSCRIBE,CANCEL,END,QUIT,OPT OUT,BERHENTI,HENTI,STOP SEMUA,JANGAN HANTAR';

function int(name: string, fallback: number): number {
	const raw = process.env[name];
	if (raw === undefined || raw === '') return fallback;
	const value = Number(raw);
	if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
	return value;
}

function flag(name: string): boolean | undefined {
	const raw = process.env[name];
	if (raw === undefined || raw === '') return undefined;
	return raw === '1' || raw.toLowerCase() === 'true';
}

function text(name: string): string | undefined {
	const raw = process.env[name];
	return raw === undefined || raw === '' ? undefined : raw;
}

export function readEnv(): Env {
	return {
		port: int('PORT', 3000),
		host: text('HOST') ?? '0.0.0.0',
		nodeId: text('NODE_ID'),
		namespace: text('NAMESPACE') ?? 'fleetcast',
		transporter: text('TRANSPORTER'),
		databaseUrl: text('DATABASE_URL'),
		dataDir: path.resolve(text('DATA_DIR') ?? 'data'),
		redisUrl: text('REDIS_URL'),
		logLevel: text('LOG_LEVEL') ?? 'info',
		logFormat: text('LOG_FORMAT') === 'json' ? 'json' : 'text',
		tracing: flag('TRACING') ?? false,
		services: text('SERVICES')?.split(',').map(s => s.trim()).filter(Boolean),
		bodyLimitBytes: int('BODY_LIMIT_BYTES', 1024 * 1024),
		importLimitBytes: int('IMPORT_LIMIT_BYTES', 20 * 1024 * 1024),
		mediaUploadLimitBytes: int('MEDIA_UPLOAD_LIMIT_BYTES', 10 * 1024 * 1024),
		sessionTtlDays: int('SESSION_TTL_DAYS', 30),
		cookieSecure: flag('COOKIE_SECURE'),
		trustProxy: text('TRUST_PROXY'),
		metricsToken: text('METRICS_TOKEN'),
		webDist: path.resolve(text('WEB_DIST') ?? 'web/dist'),
		databasePoolMax: int('DATABASE_POOL_MAX', 10),
		loginMaxPerEmail: int('LOGIN_MAX_PER_EMAIL', 100),
		loginMaxPerAddress: int('LOGIN_MAX_PER_ADDRESS', 100),
		loginFreeFailures: int('LOGIN_FREE_FAILURES', 5),
		registerMaxPerAddress: int('REGISTER_MAX_PER_ADDRESS', 20),
		demo: flag('DEMO') ?? false,
		whatsappDoubleUrl: text('WHATSAPP_DOUBLE_URL'),
		deviceLeaseTtlSeconds: int('DEVICE_LEASE_TTL_SECONDS', 15),
		deviceConnectConcurrency: int('DEVICE_CONNECT_CONCURRENCY', 50),
		deviceMaxRestarts: int('DEVICE_MAX_RESTARTS', 10),
		deviceHandoverWave: int('DEVICE_HANDOVER_WAVE', 25),
		deviceStartJitterMs: int('DEVICE_START_JITTER_MS', 2_000),
		messageExpiryHours: int('MESSAGE_EXPIRY_HOURS', 72),
		progressIntervalMs: int('PROGRESS_INTERVAL_MS', 1_000),
		inboxMessagesPerChat: Math.max(20, int('INBOX_MESSAGES_PER_CHAT', 100)),
		dispatchPollMs: int('DISPATCH_POLL_MS', 2_000),
		campaignTickMs: int('CAMPAIGN_TICK_MS', 1_000),
		orphanAfterSeconds: Math.max(1, int('ORPHAN_AFTER_SECONDS', 60)),
		safetyTimelockPauseSeconds: Math.max(1, int('SAFETY_TIMELOCK_PAUSE_S', 3_600)),
		mediaUrlLimitBytes: int('MEDIA_URL_LIMIT_BYTES', 10 * 1024 * 1024),
		mediaUrlTimeoutMs: int('MEDIA_URL_TIMEOUT_MS', 10_000),
		mediaUrlAllowPrivate: flag('MEDIA_URL_ALLOW_PRIVATE') ?? false,
		mediaMaxPixels: int('MEDIA_MAX_PIXELS', 50_000_000),
		leadStopWords: (text('LEAD_STOP_WORDS') ?? DEFAULT_STOP_WORDS).split(',').map(w => w.trim()).filter(Boolean),
		leadWebhookMaxPerMinute: int('LEAD_WEBHOOK_MAX_PER_MINUTE', 120),
	};
}

/**
 * A service's settings from the environment: `defaults` picks them from the environment when the
 * service is created, and settings given to the service itself (a test's, a mixin's) win over them.
 */
export function EnvSettingsMixin<S extends object>(defaults: (env: Env) => S): Partial<ServiceSchema> {
	return {
		created(this: { settings: S }) {
			this.settings = { ...defaults(readEnv()), ...this.settings };
		},
	} as unknown as Partial<ServiceSchema>;
}

import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { parseDatabaseLocation, type DatabaseLocation } from './database-location.js';
import { InvalidInputError, NotFoundError } from './errors.js';
import { parseS3Url, type S3Location } from './s3-location.js';

const SWITCH = ['on', 'off', 'true', 'false', '1', '0'] as const;

/** Every environment variable Ciclo reads; README.md lists the same set. */
const EnvSchema = z.object({
  CICLO_HOME: z.string().min(1).optional(),
  CICLO_DATABASE_URL: z.string().min(1).optional(),
  CICLO_ARTIFACT_ROOT: z.string().min(1).optional(),
  CICLO_ARTIFACT_STORE: z
    .string()
    .superRefine((value, context) => {
      const parsed = parseS3Url(value);
      if ('error' in parsed) context.addIssue({ code: 'custom', message: parsed.error });
    })
    .optional(),
  CICLO_S3_ENDPOINT: z
    .string()
    .regex(/^https?:\/\/[^/\s]+(\/\S*)?$/, 'must be an http:// or https:// URL')
    .optional(),
  CICLO_S3_REGION: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, "_" or "-" (for example us-east-1)')
    .optional(),
  CICLO_S3_FORCE_PATH_STYLE: z.enum(SWITCH).optional(),
  CICLO_TRACKING_URI: z.string().url().optional(),
  CICLO_REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  CICLO_QUEUE: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'must be letters, digits, ".", "_" or "-"')
    .default('ciclo-steps'),
  CICLO_NATS_URL: z
    .string()
    .regex(/^(nats|tls):\/\//, 'must be a nats:// or tls:// URL')
    .optional(),
  CICLO_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
  CICLO_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(16 * 1024 * 1024),
  CICLO_PIPELINES: z.string().optional(),
  CICLO_PYTHON: z.string().min(1).optional(),
  CICLO_AUTH: z.enum(SWITCH).optional(),
  CICLO_TOKEN: z.string().min(1).optional(),
  CICLO_AUDIT_KEY: z.string().min(32, 'must be at least 32 characters (for example `openssl rand -hex 32`)').optional(),
  CICLO_AUDIT_PREVIOUS_KEYS: z
    .string()
    .regex(/^[^,]{32,}(,[^,]{32,})*$/, 'must be comma-separated keys of at least 32 characters each, newest first')
    .optional(),
  CICLO_TOKEN_MAX_DAYS: z.coerce.number().positive('must be a number of days above 0').max(3650).optional(),
  CICLO_ONLINE_STORE: z
    .string()
    .regex(/^(sqlite:.+|rediss?:\/\/.+)$/, 'must be sqlite:/path/online.db or a redis:// or rediss:// URL')
    .optional(),
});

export interface CicloConfig {
  /** Folder of embedded state: the SQLite file and the artifact blobs. */
  home: string;
  /**
   * How `home` was chosen: CICLO_HOME; a `.ciclo` folder found in the current folder or one above it
   * (as git finds `.git`); or none found, when `home` is `./.ciclo`, not made yet. Absent in configs
   * built in code, which name their home themselves.
   */
  homeSource?: 'CICLO_HOME' | 'found' | 'none';
  database: DatabaseLocation;
  artifactRoot: string;
  /**
   * An S3-compatible bucket holding the blobs instead of `artifactRoot` (CICLO_ARTIFACT_STORE=s3://bucket/prefix,
   * CICLO_S3_*; credentials from the AWS SDK's usual sources: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, …).
   */
  s3?: S3Location;
  /** When set, the SDK and CLI talk to this server instead of the embedded store. */
  trackingUri?: string;
  /** Redis for the `bullmq` executor, `ciclo worker` and Redis message triggers. */
  redisUrl?: string;
  /**
   * The BullMQ queue the `bullmq` executor adds step jobs to and `ciclo worker` takes them from.
   * `loadConfig` always sets it; optional so configs built by hand (tests) need not.
   */
  queueName?: string;
  /** NATS for NATS message triggers. */
  natsUrl?: string;
  /**
   * The interpreter the `python` model runtime starts its workers with (CICLO_PYTHON); it must import numpy and
   * scikit-learn. Absent: `/usr/bin/python3` (on Debian, the one that sees python3-sklearn).
   */
  python?: string;
  logLevel: z.infer<typeof EnvSchema>['CICLO_LOG_LEVEL'];
  maxBodyBytes: number;
  /**
   * Pipeline files or folders whose triggers `ciclo server` runs (CICLO_PIPELINES, comma-separated;
   * `--pipelines` overrides). Optional so configs built in code need not name it; absent means none.
   */
  pipelines?: string[];
  /**
   * The feature store's online store (CICLO_ONLINE_STORE): `sqlite:/path/online.db` or `redis://…`.
   * Absent means the SQLite file `<home>/online.db`.
   */
  onlineStore?: string;
  /**
   * The server requires an API token on every non-public route (CICLO_AUTH=on, or `ciclo server
   * --auth`). Absent means off; a server with auth off listens on loopback addresses only.
   */
  auth?: boolean;
  /** The API token the CLI and the SDK send (CICLO_TOKEN); the embedded CLI records its user as the actor. */
  token?: string;
  /** No API token lives longer than this many days (CICLO_TOKEN_MAX_DAYS); one created without a lifetime gets it. */
  tokenMaxDays?: number;
  /**
   * The secret the audit chain is keyed with (CICLO_AUDIT_KEY): an HMAC on every row and on the
   * head, so a database writer without it cannot forge rows that verify. Absent: hashes only.
   */
  auditKey?: string;
  /** Retired audit keys, newest first (CICLO_AUDIT_PREVIOUS_KEYS): rows keyed with them still verify. */
  auditPreviousKeys?: string[];
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): CicloConfig {
  const parsed = EnvSchema.safeParse(pickCicloVariables(env));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInputError(`environment variable ${String(issue.path[0])} is invalid: ${issue.message}`, {
      where: String(issue.path[0]),
      hint: 'fix or unset the variable (README.md lists every variable and its format)',
    });
  }
  const vars = parsed.data;
  const found = vars.CICLO_HOME === undefined ? findHome(cwd) : undefined;
  const home = resolve(cwd, vars.CICLO_HOME ?? found ?? HOME_FOLDER);
  let database: DatabaseLocation;
  try {
    database = parseDatabaseLocation(vars.CICLO_DATABASE_URL, join(home, 'ciclo.db'));
  } catch (error) {
    throw new InvalidInputError((error as Error).message, { where: 'CICLO_DATABASE_URL' });
  }
  return {
    home,
    homeSource: vars.CICLO_HOME !== undefined ? 'CICLO_HOME' : found !== undefined ? 'found' : 'none',
    database,
    artifactRoot: resolve(cwd, vars.CICLO_ARTIFACT_ROOT ?? join(home, 'artifacts')),
    ...s3Location(vars, env),
    ...(vars.CICLO_TRACKING_URI ? { trackingUri: vars.CICLO_TRACKING_URI.replace(/\/+$/, '') } : {}),
    ...(vars.CICLO_REDIS_URL ? { redisUrl: vars.CICLO_REDIS_URL } : {}),
    queueName: vars.CICLO_QUEUE,
    ...(vars.CICLO_NATS_URL ? { natsUrl: vars.CICLO_NATS_URL } : {}),
    ...(vars.CICLO_PYTHON ? { python: vars.CICLO_PYTHON } : {}),
    logLevel: vars.CICLO_LOG_LEVEL,
    maxBodyBytes: vars.CICLO_MAX_BODY_BYTES,
    pipelines: (vars.CICLO_PIPELINES ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '')
      .map((entry) => resolve(cwd, entry)),
    ...(vars.CICLO_ONLINE_STORE ? { onlineStore: vars.CICLO_ONLINE_STORE } : {}),
    ...(vars.CICLO_AUTH ? { auth: ['on', 'true', '1'].includes(vars.CICLO_AUTH) } : {}),
    ...(vars.CICLO_TOKEN ? { token: vars.CICLO_TOKEN } : {}),
    ...(vars.CICLO_TOKEN_MAX_DAYS ? { tokenMaxDays: vars.CICLO_TOKEN_MAX_DAYS } : {}),
    ...(vars.CICLO_AUDIT_KEY ? { auditKey: vars.CICLO_AUDIT_KEY } : {}),
    ...(vars.CICLO_AUDIT_PREVIOUS_KEYS ? { auditPreviousKeys: vars.CICLO_AUDIT_PREVIOUS_KEYS.split(',') } : {}),
  };
}

const HOME_FOLDER = '.ciclo';

type EnvVars = z.infer<typeof EnvSchema>;

/** The S3 store CICLO_ARTIFACT_STORE names, with its CICLO_S3_* settings; none when it is unset. */
function s3Location(vars: EnvVars, env: NodeJS.ProcessEnv): { s3?: S3Location } {
  if (vars.CICLO_ARTIFACT_STORE === undefined) {
    const stray = (['CICLO_S3_ENDPOINT', 'CICLO_S3_REGION', 'CICLO_S3_FORCE_PATH_STYLE'] as const).find(
      (name) => vars[name] !== undefined,
    );
    if (stray === undefined) return {};
    // Likely a forgotten CICLO_ARTIFACT_STORE: blobs would silently go to the local folder instead.
    throw new InvalidInputError(`environment variable ${stray} is set but CICLO_ARTIFACT_STORE is not`, {
      where: stray,
      hint: 'set CICLO_ARTIFACT_STORE=s3://BUCKET/PREFIX to use an S3 store, or unset the variable',
    });
  }
  const { bucket, prefix } = parseS3Url(vars.CICLO_ARTIFACT_STORE) as { bucket: string; prefix: string };
  const endpoint = vars.CICLO_S3_ENDPOINT?.replace(/\/+$/, '');
  return {
    s3: {
      bucket,
      prefix,
      ...(endpoint === undefined ? {} : { endpoint }),
      // The SDK's own variables are honoured too; a region is required even by servers that ignore it.
      region: vars.CICLO_S3_REGION ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
      // Self-hosted servers seldom have wildcard DNS for bucket subdomains; AWS itself prefers virtual hosts.
      forcePathStyle:
        vars.CICLO_S3_FORCE_PATH_STYLE === undefined
          ? endpoint !== undefined
          : ['on', 'true', '1'].includes(vars.CICLO_S3_FORCE_PATH_STYLE),
    },
  };
}

/** The nearest `.ciclo` folder in `cwd` or above it. */
function findHome(cwd: string): string | undefined {
  for (let folder = resolve(cwd); ; folder = dirname(folder)) {
    const candidate = join(folder, HOME_FOLDER);
    if (statSync(candidate, { throwIfNoEntry: false })?.isDirectory() === true) return candidate;
    if (dirname(folder) === folder) return undefined;
  }
}

/**
 * The variables that make `loadConfig` in a child process see this config's store: how a pipeline
 * step reaches the same metadata and artifact store as the orchestrator that started it.
 */
/**
 * No store to open, and opening one would make it: an embedded store (SQLite) that was neither named by
 * CICLO_HOME nor found in the current folder or above. A PostgreSQL store is always there.
 */
export function hasNoStore(config: CicloConfig): boolean {
  return config.homeSource === 'none' && config.database.dialect === 'sqlite';
}

/** The error for a command that needs a store where `hasNoStore`: what to do about it. */
export function noStoreError(what = 'no Ciclo store here or above'): NotFoundError {
  return new NotFoundError(`${what} (${process.cwd()})`, {
    hint: 'run `npx ciclo quickstart` to make one here, run from the folder that has .ciclo, or set CICLO_HOME',
  });
}

export function configEnvironment(config: CicloConfig): Record<string, string> {
  if (config.trackingUri !== undefined) {
    return {
      CICLO_TRACKING_URI: config.trackingUri,
      ...(config.token === undefined ? {} : { CICLO_TOKEN: config.token }),
    };
  }
  return {
    CICLO_HOME: config.home,
    CICLO_DATABASE_URL: config.database.dialect === 'postgres' ? config.database.url : `sqlite:${config.database.file}`,
    CICLO_ARTIFACT_ROOT: config.artifactRoot,
    ...(config.s3 === undefined ? {} : s3Environment(config.s3)),
    ...(config.python === undefined ? {} : { CICLO_PYTHON: config.python }),
    // A process writing to a keyed chain needs its key (an unkeyed append is refused).
    ...(config.auditKey === undefined ? {} : { CICLO_AUDIT_KEY: config.auditKey }),
    ...(config.auditPreviousKeys === undefined
      ? {}
      : { CICLO_AUDIT_PREVIOUS_KEYS: config.auditPreviousKeys.join(',') }),
  };
}

/** The variables `loadConfig` reads `location` back from; credentials stay in the AWS variables the process has. */
function s3Environment(location: S3Location): Record<string, string> {
  return {
    CICLO_ARTIFACT_STORE: `s3://${location.bucket}${location.prefix === '' ? '' : `/${location.prefix}`}`,
    ...(location.endpoint === undefined ? {} : { CICLO_S3_ENDPOINT: location.endpoint }),
    CICLO_S3_REGION: location.region,
    CICLO_S3_FORCE_PATH_STYLE: location.forcePathStyle ? 'on' : 'off',
  };
}

function pickCicloVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith('CICLO_') && value !== undefined && value !== '') picked[key] = value;
  }
  return picked;
}

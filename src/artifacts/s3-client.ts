import type * as S3Sdk from '@aws-sdk/client-s3';
import type * as LibStorage from '@aws-sdk/lib-storage';
import { ArtifactStoreUnavailableError } from '../common/errors.js';
import type { S3Location } from '../common/s3-location.js';

/** Keys given in code (tests, tools); without them the AWS SDK's usual sources (AWS_ACCESS_KEY_ID, …) are used. */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

// A blackholed endpoint fails the start-up check in ~3 × 5 s instead of the OS's minutes-long connect timeout.
const CONNECT_TIMEOUT_MS = 5_000;

let sdk: Promise<typeof S3Sdk> | undefined;
let storage: Promise<typeof LibStorage> | undefined;

/**
 * The AWS SDK, loaded on first use: ~300 modules that every command would otherwise pay for at start-up
 * whether its store is S3 or not (scripts/bundle-cli.ts leaves it external, like every unbundled dependency).
 */
export function loadS3Sdk(): Promise<typeof S3Sdk> {
  return (sdk ??= import('@aws-sdk/client-s3'));
}

/** lib-storage's `Upload` (multipart upload of a stream of unknown length), loaded by the first put. */
export function loadLibStorage(): Promise<typeof LibStorage> {
  return (storage ??= import('@aws-sdk/lib-storage'));
}

export async function createS3Client(location: S3Location, credentials?: S3Credentials): Promise<S3Sdk.S3Client> {
  const { S3Client } = await loadS3Sdk();
  return new S3Client({
    region: location.region,
    forcePathStyle: location.forcePathStyle,
    ...(location.endpoint === undefined ? {} : { endpoint: location.endpoint }),
    ...(credentials === undefined ? {} : { credentials }),
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS },
    // The SDK's default since 2025 sends CRC32 trailers in aws-chunked bodies, which many S3-compatible
    // servers refuse; content is verified by its sha256 on every read instead.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** `s3://bucket/prefix at http://host:port` (or `in AWS region …`): how every error names the store. */
export function describeStore(location: S3Location): string {
  const url = `s3://${location.bucket}${location.prefix === '' ? '' : `/${location.prefix}`}`;
  return `${url} ${location.endpoint === undefined ? `in AWS region ${location.region}` : `at ${location.endpoint}`}`;
}

/** Whether the SDK's error is the server saying the object (or bucket) does not exist. */
export function isS3NotFound(error: unknown): boolean {
  const { name, status } = errorFacts(error);
  return status === 404 || name === 'NoSuchKey' || name === 'NotFound';
}

/**
 * An SDK error as ARTIFACT_STORE_UNAVAILABLE naming the store, its endpoint and the cause in words (the
 * SDK's own messages for HEAD requests are bare "UnknownError"); the SDK's error is kept as `cause`.
 */
export function s3StoreError(location: S3Location, doing: string, error: unknown): ArtifactStoreUnavailableError {
  const translated = new ArtifactStoreUnavailableError(
    `artifact store ${describeStore(location)} failed to ${doing}: ${causeOf(location, error)}`,
    {
      where: location.endpoint ?? `s3://${location.bucket}`,
      hint:
        'Check CICLO_ARTIFACT_STORE, CICLO_S3_ENDPOINT and the credentials (AWS_ACCESS_KEY_ID, ' +
        'AWS_SECRET_ACCESS_KEY), and that the server is running and the bucket exists.',
    },
  );
  translated.cause = error;
  return translated;
}

function causeOf(location: S3Location, error: unknown): string {
  const { name, status, code, message } = errorFacts(error);
  if (code !== undefined && /^(E[A-Z]+|UND_ERR\w*)$/.test(code)) return `cannot connect (${code})`;
  if (name === 'TimeoutError') return `no answer (${message})`;
  if (name === 'CredentialsProviderError') return `no credentials (${message})`;
  if (status === 404 || name === 'NoSuchBucket') return `bucket "${location.bucket}" does not exist`;
  if (status === 401 || status === 403) {
    return `access denied (HTTP ${status}${name === undefined ? '' : ` ${name}`}): wrong credentials or no permission`;
  }
  if (status !== undefined) return `HTTP ${status}${name === undefined ? '' : ` ${name}`}: ${message}`;
  return message;
}

interface ErrorFacts {
  name?: string;
  status?: number;
  code?: string;
  message: string;
}

/** What the SDK's errors carry, read without trusting their shape (network errors are plain Node errors). */
function errorFacts(error: unknown): ErrorFacts {
  if (!(error instanceof Error)) return { message: String(error) };
  const fields = error as Error & { $metadata?: { httpStatusCode?: unknown }; code?: unknown };
  const status = fields.$metadata?.httpStatusCode;
  return {
    name: error.name,
    message: error.message,
    ...(typeof status === 'number' ? { status } : {}),
    ...(typeof fields.code === 'string' ? { code: fields.code } : {}),
  };
}

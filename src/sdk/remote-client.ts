import { createReadStream } from 'node:fs';
import { pipeline, Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  assertRegularFile,
  createVerifyingStream,
  listLocalFiles,
  normalizeArtifactDir,
  normalizeArtifactPath,
  type ArtifactEntry,
  type ArtifactFile,
} from '../artifacts/index.js';
import {
  batchToWire,
  camelKeys,
  metricFromWire,
  pageFromWire,
  runFromWire,
  snakeKeys,
  type CreateExperimentInput,
  type CreateRunInput,
  type Experiment,
  type LogBatchInput,
  type Metric,
  type Page,
  type Run,
  type RunInfo,
  type SearchExperimentsInput,
  type SearchRunsInput,
  type UpdateRunInput,
  type WireArtifactEntry,
  type WireArtifactFile,
  type WireExperiment,
  type WireMetric,
  type WirePage,
  type WireRun,
  type WireRunInfo,
} from '../tracking/index.js';
import type { CicloError } from '../common/errors.js';
import { errorFromResponse, unreachable } from './remote-errors.js';
import type { DatasetInputArg, TrackingApi } from './tracking-api.js';

type Query = Record<string, string | number | readonly string[] | undefined>;

interface RequestOptions {
  query?: Query;
  json?: unknown;
  /** Opens the body anew for each attempt: a stream cannot be sent twice. */
  body?: () => Readable;
}

/**
 * How requests refused with 503 STORE_BUSY are sent again. The server answers STORE_BUSY only when
 * nothing was written, so any request, a create or an upload included, is safe to repeat. Each wait
 * doubles from `baseDelayMs`, is at least the server's Retry-After, and at most `maxDelayMs`.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Told before each wait (a CLI can say the server is busy). */
  onRetry?: (retry: { attempt: number; delayMs: number; error: CicloError }) => void;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 250, maxDelayMs: 10_000 };

/**
 * TrackingApi over the native REST routes (docs/rest-api.md) of a Ciclo server. Requests and answers
 * go through the tracking wire translation, the one the server's routes use.
 */
export class RemoteTrackingClient implements TrackingApi {
  readonly #base: string;
  readonly #authorization: Record<string, string>;
  readonly #retry: RetryPolicy;

  /** `token`: an API token (CICLO_TOKEN) for a server with authentication on. */
  constructor(trackingUri: string, token?: string, options: { retry?: Partial<RetryPolicy> } = {}) {
    this.#base = `${trackingUri.replace(/\/+$/, '')}/api/v1`;
    this.#authorization = token === undefined ? {} : { authorization: `Bearer ${token}` };
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  // ── experiments ──────────────────────────────────────────────────────────────

  async createExperiment(input: CreateExperimentInput): Promise<Experiment> {
    return camelKeys(await this.#json<WireExperiment>('POST', '/experiments', { json: snakeKeys(input) }));
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    return camelKeys(await this.#json<WireExperiment>('GET', `/experiments/${segment(experimentId)}`));
  }

  async getExperimentByName(name: string): Promise<Experiment> {
    return camelKeys(await this.#json<WireExperiment>('GET', `/experiments/by-name/${segment(name)}`));
  }

  async getOrCreateExperiment(name: string): Promise<Experiment> {
    return camelKeys(await this.#json<WireExperiment>('PUT', `/experiments/by-name/${segment(name)}`));
  }

  async searchExperiments(input: SearchExperimentsInput = {}): Promise<Page<Experiment>> {
    const { filter, orderBy, maxResults, pageToken, viewType } = input;
    const query = snakeKeys({ filter, orderBy, maxResults, pageToken, viewType });
    return pageFromWire(await this.#json<WirePage<WireExperiment>>('GET', '/experiments', { query }), camelKeys);
  }

  // ── runs ─────────────────────────────────────────────────────────────────────

  async createRun(input: CreateRunInput): Promise<Run> {
    return runFromWire(await this.#json<WireRun>('POST', '/runs', { json: snakeKeys(input) }));
  }

  async getRun(runId: string): Promise<Run> {
    return runFromWire(await this.#json<WireRun>('GET', `/runs/${segment(runId)}`));
  }

  async updateRun(runId: string, input: UpdateRunInput): Promise<RunInfo> {
    return camelKeys(await this.#json<WireRunInfo>('PATCH', `/runs/${segment(runId)}`, { json: snakeKeys(input) }));
  }

  async deleteRun(runId: string): Promise<void> {
    await this.#send('DELETE', `/runs/${segment(runId)}`);
  }

  async restoreRun(runId: string): Promise<void> {
    await this.#send('POST', `/runs/${segment(runId)}/restore`);
  }

  async searchRuns(input: SearchRunsInput): Promise<Page<Run>> {
    const answer = await this.#json<WirePage<WireRun>>('POST', '/runs/search', { json: snakeKeys(input) });
    return pageFromWire(answer, runFromWire);
  }

  // ── logging ──────────────────────────────────────────────────────────────────

  async logBatch(runId: string, input: LogBatchInput): Promise<void> {
    await this.#send('POST', `/runs/${segment(runId)}/batch`, { json: batchToWire(input) });
  }

  /** Through the batch route: tag keys may hold '/', which a path segment cannot carry through every proxy. */
  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.logBatch(runId, { tags: [{ key, value }] });
  }

  async logInputs(runId: string, datasets: readonly DatasetInputArg[]): Promise<void> {
    await this.#send('POST', `/runs/${segment(runId)}/inputs`, { json: { datasets: datasets.map(snakeKeys) } });
  }

  async getMetricHistory(
    runId: string,
    key: string,
    page: { maxResults?: number | undefined; pageToken?: string | undefined } = {},
  ): Promise<Page<Metric>> {
    const query = snakeKeys({ maxResults: page.maxResults, pageToken: page.pageToken });
    const history = `/runs/${segment(runId)}/metrics/${segment(key)}/history`;
    const answer = await this.#json<WirePage<WireMetric>>('GET', history, { query });
    return pageFromWire(answer, metricFromWire);
  }

  // ── artifacts ────────────────────────────────────────────────────────────────

  async logArtifactFile(runId: string, localFile: string, artifactPath: string): Promise<ArtifactFile> {
    const path = normalizeArtifactPath(artifactPath);
    await assertRegularFile(localFile);
    const body = () => createReadStream(localFile);
    return camelKeys(await this.#json<WireArtifactFile>('PUT', artifactRoute(runId, path), { body }));
  }

  /**
   * One upload per file. Unlike the embedded store, a failure part-way leaves the files already
   * uploaded in place; logging the folder again replaces them, so a retry converges.
   */
  async logArtifactDirectory(runId: string, localDir: string, artifactDir: string): Promise<ArtifactFile[]> {
    const base = normalizeArtifactDir(artifactDir);
    const stored: ArtifactFile[] = [];
    for (const { file, relativePath } of await listLocalFiles(localDir)) {
      const path = normalizeArtifactPath(base === '' ? relativePath : `${base}/${relativePath}`, file);
      const body = () => createReadStream(file);
      stored.push(camelKeys(await this.#json<WireArtifactFile>('PUT', artifactRoute(runId, path), { body })));
    }
    return stored;
  }

  async listArtifacts(runId: string, dir?: string): Promise<ArtifactEntry[]> {
    const query = { path: dir };
    const answer = await this.#json<WirePage<WireArtifactEntry>>('GET', `/runs/${segment(runId)}/artifacts`, { query });
    return answer.items.map(camelKeys);
  }

  async openArtifact(runId: string, path: string): Promise<Readable> {
    const response = await this.#send('GET', artifactRoute(runId, path));
    const what = `artifact ${path} of run ${runId}`;
    const body = response.body ? Readable.fromWeb(response.body as WebReadableStream<Uint8Array>) : Readable.from([]);
    const source = Readable.from(namingCutShort(body, what));
    const digest = response.headers.get('x-ciclo-digest');
    if (!digest) return source;
    // Checked again here: the bytes crossed a network since the server verified them.
    const verified = createVerifyingStream(digest, `Downloaded ${what}`);
    pipeline(source, verified, () => undefined);
    return verified;
  }

  // ── transport ────────────────────────────────────────────────────────────────

  async #json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.#send(method, path, options);
    return (await response.json()) as T;
  }

  async #send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = `${this.#base}${path}${queryString(options.query)}`;
    for (let attempt = 1; ; attempt++) {
      const body = options.body?.();
      let response: Response;
      try {
        const init = requestInit(method, options.json, body);
        response = await fetch(url, {
          ...init,
          headers: { ...(init.headers as Record<string, string> | undefined), ...this.#authorization },
        });
      } catch (error) {
        body?.destroy();
        throw unreachable(this.#base, error);
      }
      if (response.ok) return response;
      const error = await errorFromResponse(response, `${method} ${path}`);
      if (error.code !== 'STORE_BUSY' || attempt >= this.#retry.attempts) throw error;
      const delayMs = retryDelay(this.#retry, attempt, response.headers.get('retry-after'));
      this.#retry.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs);
    }
  }
}

function retryDelay(policy: RetryPolicy, attempt: number, retryAfter: string | null): number {
  const backoff = policy.baseDelayMs * 2 ** (attempt - 1);
  const asked = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : 0;
  return Math.min(policy.maxDelayMs, Math.max(backoff, asked));
}

function requestInit(method: string, json: unknown, body: Readable | undefined): RequestInit {
  if (body) {
    // Streamed, never buffered: fetch needs `duplex: 'half'` to send a stream body.
    return {
      method,
      headers: { 'content-type': 'application/octet-stream' },
      body: Readable.toWeb(body) as RequestInit['body'],
      duplex: 'half',
    };
  }
  if (json === undefined) return { method };
  return { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) };
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (typeof value === 'object') for (const item of value) params.append(key, item);
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function segment(value: string): string {
  return encodeURIComponent(value);
}

function artifactRoute(runId: string, artifactPath: string): string {
  return `/runs/${segment(runId)}/artifacts/${artifactPath.split('/').map(segment).join('/')}`;
}

/** fetch reports a body cut short as a bare "terminated"; say what was being downloaded. */
async function* namingCutShort(chunks: Readable, what: string): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of chunks) yield chunk as Buffer;
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    const reason = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
    throw new Error(`the download of ${what} was cut short (${reason})`, { cause: error });
  }
}

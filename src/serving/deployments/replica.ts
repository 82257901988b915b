import { spawn, type ChildProcess } from 'node:child_process';
import { UnavailableError } from '../../common/errors.js';

/** How a replica is started: the `ciclo` program, and what its `ciclo serve` needs. */
export interface ReplicaSpec {
  /** The built CLI (`dist/bin/ciclo.js`), run with this Node. */
  program: string;
  /** `NAME/VERSION`: a replica serves one version, whatever its alias says later. */
  reference: string;
  runtime?: string;
  /** The server requires tokens: so does each replica, on its own port. */
  auth: boolean;
  /** The deployment's name (metrics labels, capture files) and its capture share. */
  deployment: string;
  captureRate: number;
  /** The store's variables (configEnvironment), so the replica reads the same registry and artifacts. */
  env: Record<string, string>;
  /** How long a replica may take to load its model and answer ready. */
  startTimeoutMs: number;
}

const STDERR_KEPT = 4096;

/**
 * One serving process: `ciclo serve NAME/V --port 0 --json` on loopback. Started when it printed its
 * address and answered `/v2/health/ready`; a process that exits first fails the start with what it
 * wrote to stderr (the runtime's message for a package that does not load).
 */
export class Replica {
  readonly url: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  #stopping = false;

  private constructor(url: string, child: ChildProcess, exited: Promise<number | null>) {
    this.url = url;
    this.#child = child;
    this.#exited = exited;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Resolves when the process ends on its own (not through stop): the supervisor restarts it. */
  unexpectedExit(): Promise<number | null> {
    return this.#exited.then((code) => (this.#stopping ? new Promise<never>(() => {}) : code));
  }

  static async start(spec: ReplicaSpec): Promise<Replica> {
    const args = [spec.program, 'serve', spec.reference, '--host', '127.0.0.1', '--port', '0', '--json'];
    if (spec.runtime !== undefined) args.push('--runtime', spec.runtime);
    if (spec.auth) args.push('--auth');
    args.push('--deployment', spec.deployment, '--capture', String(spec.captureRate));
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CICLO_')));
    const child = spawn(process.execPath, args, {
      env: { ...inherited, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEPT);
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const url = await firstLineUrl(child, exited, spec.startTimeoutMs, () => stderr);
      await waitReady(url, spec.startTimeoutMs);
      return new Replica(url, child, exited);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
  }

  /** SIGTERM (the process answers what it holds, then exits), SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    this.#stopping = true;
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** The `{"url": …}` document `ciclo serve --json` prints once it listens. */
function firstLineUrl(
  child: ChildProcess,
  exited: Promise<number | null>,
  timeoutMs: number,
  stderr: () => string,
): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(failure(`did not start within ${timeoutMs} ms`, stderr())), timeoutMs);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      let printed: { url?: unknown };
      try {
        printed = JSON.parse(stdout) as { url?: unknown };
      } catch {
        return; // not the whole document yet
      }
      clearTimeout(timer);
      if (typeof printed.url === 'string') resolve(printed.url);
      else reject(failure(`printed ${stdout.slice(0, 200)} instead of its address`, stderr()));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(failure(`exited with code ${code}`, stderr()));
    });
  });
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${url}/v2/health/ready`).catch(() => undefined);
    if (response?.status === 200) return;
    if (Date.now() > deadline) throw failure(`did not answer ready within ${timeoutMs} ms`, '');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The replica's own words: under `--json`, `ciclo serve` prints its error as `{error_code, message, …}` on stderr. */
function failure(what: string, stderr: string): UnavailableError {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const said = lines.map(messageOf).find((message) => message !== undefined) ?? lines.slice(-2).join(' ');
  return new UnavailableError(`the serving process ${what}${said === '' ? '' : `: ${said}`}`);
}

function messageOf(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const { message } = JSON.parse(line) as { message?: unknown };
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../dist/bin/ciclo.js', import.meta.url));

export interface ServerProcess {
  url: string;
  stop(): Promise<void>;
}

/** The real server, as users start it, in a process of its own so clients do not share its event loop. */
export function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  return startUrlPrinter([CLI, 'server', '--port', '0', '--json'], env);
}

/** A Node process (`node <args>`) that prints a JSON document with its `url` once it listens. */
export async function startUrlPrinter(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);
  const stop = async () => {
    process.off('exit', killChild);
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  };
  let printed = '';
  for await (const chunk of child.stdout) {
    printed += String(chunk);
    try {
      const { url } = JSON.parse(printed) as { url: string };
      return { url, stop };
    } catch {
      continue; // the JSON document may arrive in several chunks
    }
  }
  await stop();
  throw new Error(`${args.join(' ')} exited before printing its URL: ${printed}`);
}

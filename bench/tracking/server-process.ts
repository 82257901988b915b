import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** The real server, as users start it, in a process of its own so clients do not share its event loop. */
export async function startServerProcess(env: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [CLI, 'server', '--port', '0', '--json'], {
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
  throw new Error(`the server exited before printing its URL: ${printed}`);
}

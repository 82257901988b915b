import { arch, cpus, platform, totalmem } from 'node:os';
import { benchAccess } from './access/index.js';
import { benchArtifacts } from './artifacts/index.js';
import { benchCli } from './cli/index.js';
import { benchData } from './data/index.js';
import { benchMonitoring } from './monitoring/index.js';
import { benchPipelines } from './pipelines/index.js';
import { benchServing } from './serving/index.js';
import { benchTracking } from './tracking/index.js';
import { benchTrackingLoad } from './tracking/many-runs.js';

/** Every benchmark, each next to its raw baseline; paste the output into bench/RESULTS.md. */
const BENCHMARKS: Record<string, () => Promise<string[]>> = {
  cli: benchCli,
  tracking: benchTracking,
  'tracking-load': benchTrackingLoad,
  pipelines: benchPipelines,
  data: benchData,
  access: benchAccess,
  artifacts: benchArtifacts,
  serving: benchServing,
  monitoring: benchMonitoring,
};

const only = process.argv[2];
const cpu = cpus()[0]?.model ?? 'unknown cpu';
console.log(
  `# ${new Date().toISOString().slice(0, 10)} — ${platform()}-${arch()}, ${cpus().length} cores (${cpu}), ` +
    `${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`,
);
for (const [name, run] of Object.entries(BENCHMARKS)) {
  if (only && only !== name) continue;
  console.log(`\n## bench/${name}`);
  for (const line of await run()) console.log(`- ${line}`);
}

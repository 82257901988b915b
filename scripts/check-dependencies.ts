/**
 * `npm run lint:deps`: checks src/ (and ui/src/'s imports of it) against the dependency rules in
 * .dependency-cruiser.cjs and fails on any violation that .dependency-cruiser-known-violations.json does not list,
 * naming the offending import. Listed violations that no longer occur are printed: `npm run lint:deps --
 * --update-baseline` rewrites the file from the tree, and its diff must only lose lines (the baseline only shrinks).
 *
 * dependency-cruiser judges the per-import rules; the folder rule (no-folder-cycles) is judged here, per top-level
 * folder of src/ (see the rule's comment). Both kinds are kept in the one baseline file, in dependency-cruiser's
 * known-violations format: an import rule's entry names the importing and the imported file, a folder cycle's
 * entry (type "cycle") the two folders of one edge, so a new import along a known cyclic edge is not new debt.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { cruise, type ICruiseResult, type IConfiguration, type IViolation } from 'dependency-cruiser';
import extractDepcruiseConfig from 'dependency-cruiser/config-utl/extract-depcruise-config';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { findFolderCycles, type ImportEdge } from './folder-cycles.js';

const FOLDER_RULE = 'no-folder-cycles';

interface Options {
  configFile: string;
  baselineFile: string;
  updateBaseline: boolean;
}

interface Finding {
  type: 'dependency' | 'cycle';
  rule: string;
  from: string;
  to: string;
  /** For a folder cycle: the folders it runs through, and the imports that make up its edge. */
  cycle?: string[];
  imports?: ImportEdge[];
}

function parseArguments(argv: readonly string[]): Options {
  const options: Options = {
    configFile: '.dependency-cruiser.cjs',
    baselineFile: '.dependency-cruiser-known-violations.json',
    updateBaseline: false,
  };
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index];
    if (argument === '--update-baseline') options.updateBaseline = true;
    else if (argument === '--config' && argv[index + 1]) options.configFile = argv[++index]!;
    else if (argument === '--baseline' && argv[index + 1]) options.baselineFile = argv[++index]!;
    else throw new Error(`unknown argument "${argument}"; use --update-baseline, --config FILE, --baseline FILE`);
  }
  return options;
}

async function cruiseSource(config: IConfiguration): Promise<ICruiseResult> {
  const tsConfigFile = config.options?.tsConfig?.fileName;
  const tsConfig = tsConfigFile ? extractTSConfig(resolve(tsConfigFile)) : undefined;
  // ui/src: the web UI's imports of src/ are judged too (type-only: rule ui-takes-only-types-from-src), in a tree
  // that has one.
  const roots = ['src', 'ui/src'].filter((root) => existsSync(root));
  const reported = await cruise(roots, { validate: true, ruleSet: config }, {}, { tsConfig });
  if (typeof reported.output === 'string') throw new Error('dependency-cruiser answered text instead of a result');
  return reported.output;
}

function importsOf(result: ICruiseResult): ImportEdge[] {
  return result.modules.flatMap((module) =>
    module.dependencies
      .filter((dependency) => !dependency.couldNotResolve && !dependency.coreModule)
      .map((dependency) => ({ from: module.source, to: dependency.resolved })),
  );
}

function findingsOf(result: ICruiseResult): Finding[] {
  const ruleFindings = result.summary.violations
    .filter((violation) => violation.rule.severity === 'error')
    .map((violation): Finding => ({
      type: 'dependency',
      rule: violation.rule.name,
      from: violation.from,
      to: violation.to,
    }));
  const folderFindings = findFolderCycles(importsOf(result)).map((violation): Finding => ({
    type: 'cycle',
    rule: FOLDER_RULE,
    ...violation,
  }));
  return [...ruleFindings, ...folderFindings];
}

const keyOf = (finding: Pick<Finding, 'rule' | 'from' | 'to'>): string =>
  `${finding.rule} ${finding.from} ${finding.to}`;

function readBaseline(file: string): Finding[] {
  if (!existsSync(file)) return [];
  const known = JSON.parse(readFileSync(file, 'utf8')) as IViolation[];
  return known.map((violation) => ({
    type: violation.type === 'cycle' ? 'cycle' : 'dependency',
    rule: violation.rule.name,
    from: violation.from,
    to: violation.to,
  }));
}

function writeBaseline(file: string, findings: readonly Finding[]): void {
  const known: IViolation[] = [...new Map(findings.map((finding) => [keyOf(finding), finding])).values()]
    .sort((left, right) => keyOf(left).localeCompare(keyOf(right)))
    .map((finding) => ({
      type: finding.type,
      from: finding.from,
      to: finding.to,
      rule: { severity: 'error', name: finding.rule },
    }));
  writeFileSync(file, `${JSON.stringify(known, null, 2)}\n`);
}

function describe(finding: Finding): string {
  const heading = `  ${finding.rule}: ${finding.from} → ${finding.to}`;
  if (!finding.cycle) return heading;
  const imports = (finding.imports ?? []).map((edge) => `\n      import ${edge.from} → ${edge.to}`).join('');
  return `${heading} (closes ${finding.cycle.join(' → ')})${imports}`;
}

function ruleComments(config: IConfiguration, findings: readonly Finding[]): string[] {
  const broken = new Set(findings.map((finding) => finding.rule));
  return (config.forbidden ?? [])
    .filter((rule) => rule.name !== undefined && broken.has(rule.name) && rule.comment)
    .map((rule) => `  ${rule.name}: ${rule.comment}`);
}

async function main(): Promise<number> {
  const options = parseArguments(process.argv.slice(2));
  const config = await extractDepcruiseConfig(resolve(options.configFile));
  const findings = findingsOf(await cruiseSource(config));

  if (options.updateBaseline) {
    writeBaseline(options.baselineFile, findings);
    console.log(
      `dependency rules: baseline ${options.baselineFile} rewritten with ${findings.length} known violations`,
    );
    return 0;
  }

  const known = readBaseline(options.baselineFile);
  const knownKeys = new Set(known.map(keyOf));
  const foundKeys = new Set(findings.map(keyOf));
  const fresh = findings.filter((finding) => !knownKeys.has(keyOf(finding)));
  const gone = known.filter((finding) => !foundKeys.has(keyOf(finding)));

  console.log(
    `dependency rules: ${known.length - gone.length} known violations tolerated (${options.baselineFile}), ` +
      `${fresh.length} new, ${gone.length} fixed`,
  );
  if (fresh.length > 0) {
    console.error(`✖ ${fresh.length} new dependency violation(s); each line names the offending import:`);
    for (const finding of fresh) console.error(describe(finding));
    console.error('Why the rules exist and how to comply:');
    for (const line of ruleComments(config, fresh)) console.error(line);
  }
  if (gone.length > 0) {
    // Not a failure: the suite fails only on new debt. Shrinking the file keeps a fixed import from coming back.
    console.log(
      `${gone.length} known violation(s) no longer occur; shrink the baseline with ` +
        '`npm run lint:deps -- --update-baseline` and commit it:',
    );
    for (const finding of gone) console.log(describe(finding));
  }
  return fresh.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`dependency rules: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  },
);

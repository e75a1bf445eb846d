import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { ExitCode, ServiceError } from '../errors/index.js';
import type { CliIo } from './io.js';

interface ExportFlags {
  out: string;
  endpoint?: string;
  key?: string;
  kid?: string;
  audience?: string;
  tokens?: string;
  pods: string;
}

/** `syncscale export k6 <scenario.yaml> --out dir/ [--endpoint URL --key K --kid ID --audience A] [--pods N]`. */
export function exportCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  const k6 = new Command('k6')
    .description("the scenario's clients as a k6 test (RSocket sync streams) plus k6-operator manifests")
    .argument('<scenario>', 'scenario file (an external target with token.key, or pass --endpoint and --key)')
    .requiredOption('--out <dir>', 'directory to write the script, its modules, config and manifests to')
    .option('--endpoint <url>', "the deployment's sync API, e.g. https://sync.example.com")
    .option('--key <k>', 'HS256 secret in base64url (the JWK k) the k6 VUs sign tokens with')
    .option('--kid <kid>', 'key id put in the tokens')
    .option('--audience <aud>', 'aud claim of the tokens')
    .option(
      '--tokens <file>',
      'tokens to hand out instead (one per line, or a JSON array), e.g. for RS256 keys',
    )
    .option('--pods <n>', 'k6-operator runner pods (TestRun parallelism)', '4')
    .action(async (scenario: string, flags: ExportFlags) => setExitCode(await exportK6(scenario, flags, io)));
  const k8s = new Command('k8s')
    .description(
      'the scenario as Kubernetes Jobs: an Indexed Job of shard pods (our own clients) and a coordinator',
    )
    .argument('<scenario>', 'scenario file with an external target; secrets read with !env')
    .requiredOption('--shards <n>', "shard pods (the Indexed Job's parallelism)")
    .requiredOption('--image <image>', "the syncscale image (built from the repository's Dockerfile)")
    .requiredOption('--out <dir>', 'directory to write the manifests and their README to')
    .option('--run-key <key>', 'the barrier name the pods meet under (default: scenario name and time)')
    .option('--namespace <ns>', 'namespace of the objects')
    .action(async (scenario: string, flags: K8sFlags) =>
      setExitCode(await exportK8sCommand(scenario, flags, io)),
    );
  return new Command('export')
    .description('export a scenario for another load engine')
    .addCommand(k6)
    .addCommand(k8s);
}

interface K8sFlags {
  shards: string;
  image: string;
  out: string;
  runKey?: string;
  namespace?: string;
}

async function exportK8sCommand(file: string, flags: K8sFlags, io: CliIo): Promise<number> {
  const shards = Number(flags.shards);
  if (!Number.isInteger(shards) || shards < 1 || shards > 10_000) {
    io.stderr(`[SSCALE_E0003] --shards must be a whole number from 1, got ${flags.shards}\n`);
    return ExitCode.USAGE;
  }
  const { loadScenario } = await import('../scenario/index.js');
  const { configMapScenario, exportK8s } = await import('../k8s/index.js');
  try {
    const source = path.resolve(io.cwd, file);
    const scenario = await loadScenario(source);
    if (scenario.target.kind !== 'external')
      throw new ServiceError(
        'SSCALE_E0003',
        'export k8s needs an external target (target.external): pods cannot reach an embedded service',
      );
    const target = scenario.target;
    const literal = [
      target.token.kind === 'key' ? target.token.k : '',
      ...[target.sourceDatabaseUrl, target.storage?.url ?? ''].map((u) => {
        try {
          return decodeURIComponent(new URL(u).password);
        } catch {
          return '';
        }
      }),
    ];
    const text = fs.readFileSync(source, 'utf8');
    const secretEnv = [...new Set([...text.matchAll(/!env\s+([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))];
    const out = path.resolve(io.cwd, flags.out);
    const runKey =
      flags.runKey ??
      `${scenario.name}-${new Date()
        .toISOString()
        .replace(/[^0-9]/g, '')
        .slice(0, 12)}`;
    const written = exportK8s({
      scenarioText: configMapScenario(text, literal),
      syncConfigText: fs.readFileSync(scenario.dataset.syncConfigPath, 'utf8'),
      scenarioName: scenario.name,
      shards,
      image: flags.image,
      runKey,
      secretEnv,
      outDir: out,
      ...(flags.namespace ? { namespace: flags.namespace } : {}),
    });
    io.stdout(
      `Kubernetes run of ${scenario.name} in ${out}: ${written.join(', ')} (${shards} shard pods and a coordinator, run key ${runKey}).\n` +
        (secretEnv.length
          ? `The pods read ${secretEnv.join(', ')} from the Secret the README creates; the ConfigMap holds no secret.\n`
          : '') +
        `Commands: ${path.join(out, 'README.md')}\n`,
    );
    return ExitCode.OK;
  } catch (error) {
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.USAGE;
  }
}

async function exportK6(file: string, flags: ExportFlags, io: CliIo): Promise<number> {
  const pods = Number(flags.pods);
  if (!Number.isInteger(pods) || pods < 1) {
    io.stderr(`[SSCALE_E0003] --pods must be a positive integer, got ${flags.pods}\n`);
    return ExitCode.USAGE;
  }
  const { loadScenario } = await import('../scenario/index.js');
  const { exportK6: write } = await import('../k6/index.js');
  try {
    const scenario = await loadScenario(path.resolve(io.cwd, file));
    const out = path.resolve(io.cwd, flags.out);
    let tokens: string[] | undefined;
    if (flags.tokens) {
      const text = fs.readFileSync(path.resolve(io.cwd, flags.tokens), 'utf8').trim();
      tokens = text.startsWith('[') ? (JSON.parse(text) as string[]) : text.split(/\r?\n/).filter(Boolean);
      if (!Array.isArray(tokens) || tokens.length === 0 || tokens.some((t) => typeof t !== 'string'))
        throw new ServiceError(
          'SSCALE_E0003',
          `${flags.tokens}: expected tokens, one per line or a JSON array of strings`,
        );
    }
    const written = await write(scenario, {
      outDir: out,
      endpoint: flags.endpoint,
      key: flags.key ? { k: flags.key, kid: flags.kid, audience: flags.audience } : undefined,
      tokens,
      pods,
    });
    const { fingerprint } = await import('../redact/index.js');
    const signingKey = tokens?.length ? undefined : (flags.key ?? keyOfScenario(scenario));
    io.stdout(
      `k6 test of ${scenario.name} in ${out}: ${written.length} files (script.js, config.json, k8s/ for ${pods} pods).\n` +
        (tokens?.length
          ? `config.json and k8s/configmap.yaml hold the ${tokens.length} tokens of --tokens (the VUs need them); every other file is redacted.\n`
          : `config.json and k8s/configmap.yaml hold the signing key${signingKey ? ` (sha256:${fingerprint(signingKey)})` : ''} so the VUs can sign their tokens: keep them as secret as the key, or export with --tokens instead. Every other file is redacted.\n`) +
        `Run it: k6 run --out json=k6.json ${path.join(out, 'script.js')}; then syncscale ingest k6.json --scenario ${file}\n`,
    );
    return ExitCode.OK;
  } catch (error) {
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.USAGE;
  }
}

interface IngestFlags {
  scenario: string;
  reportsDir: string;
}

/** `syncscale ingest <k6.json…> --scenario <scenario.yaml> [--reports-dir reports]`. */
export function ingestCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return new Command('ingest')
    .description("merge k6 pods' JSON outputs into one syncscale run (histograms merged, not averaged)")
    .argument('<files...>', 'k6 JSON outputs (k6 run --out json=<file>), one per pod')
    .requiredOption('--scenario <file>', 'the scenario the k6 test was exported from')
    .option('--reports-dir <dir>', 'where to create the run directory', 'reports')
    .action(async (files: string[], flags: IngestFlags) => setExitCode(await ingest(files, flags, io)));
}

async function ingest(files: string[], flags: IngestFlags, io: CliIo): Promise<number> {
  const { loadScenario } = await import('../scenario/index.js');
  const { ingestK6 } = await import('../k6/index.js');
  try {
    const scenario = await loadScenario(path.resolve(io.cwd, flags.scenario));
    const outcome = await ingestK6(
      files.map((f) => path.resolve(io.cwd, f)),
      scenario,
      { reportsDir: path.resolve(io.cwd, flags.reportsDir) },
    );
    io.stdout(
      `Ingested ${outcome.samples} samples from ${outcome.files} k6 outputs (${outcome.perFile.join(', ')}) into ${outcome.runDir}\n` +
        `Next: syncscale report ${outcome.runDir}; syncscale size --from ${outcome.runDir} --profile <profile.yaml>\n`,
    );
    return ExitCode.OK;
  } catch (error) {
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof ServiceError || (error as Error).name === 'ScenarioError'
      ? ExitCode.USAGE
      : ExitCode.FAILURE;
  }
}

/** The HS256 key of an external scenario's token block, when it has one. */
function keyOfScenario(scenario: { target: unknown }): string | undefined {
  const target = scenario.target as { token?: { key?: { k?: unknown } } };
  return typeof target.token?.key?.k === 'string' ? target.token.key.k : undefined;
}

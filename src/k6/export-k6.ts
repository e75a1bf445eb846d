import { writeArtifact } from '../redact/index.js';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServiceError } from '../errors/index.js';
import { commandTokenProvider } from '../fleet/index.js';
import { clientPlan, type Scenario } from '../scenario/index.js';
import { datasetUserIds } from '../writers/index.js';
import type { K6Config } from './runtime/k6-config.js';

export type { K6Config };

/** Where the compiled k6 runtime lives (dist/k6/runtime), and the repository's sources when present. */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const DIST = path.resolve(HERE, '..');

export interface K6ExportOptions {
  outDir: string;
  /** Overrides the scenario's external endpoint (`http(s)://host:port`). */
  endpoint?: string;
  /** Overrides the scenario's token key: base64url secret, kid, audience. */
  key?: { k: string; kid?: string; audience?: string };
  /** k6-operator runner pods. */
  pods: number;
  /**
   * Tokens to hand out instead of signing them (one per user, used in turn): for deployments whose keys
   * k6 must not hold (RS256, a JWKS). When absent and the scenario mints tokens with `token.command`, the
   * export runs the command once per user.
   */
  tokens?: string[];
}

/** The runtime files copied beside the script, with their import paths made flat. */
const RUNTIME_FILES: Array<{ from: string; to: string }> = [
  { from: 'k6/runtime/k6-script.js', to: 'script.js' },
  { from: 'k6/runtime/rsocket-session.js', to: 'rsocket-session.js' },
  { from: 'k6/runtime/wire.js', to: 'wire.js' },
  { from: 'fleet/sync-state.js', to: 'sync-state.js' },
];

/** One identity for a scenario's shape: pods whose samples carry another hash ran another scenario. */
export function scenarioHash(scenario: Scenario): string {
  const shape = { name: scenario.name, dataset: scenario.dataset, phases: scenario.phases };
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
}

/**
 * k6 `ramping-vus` stages that follow the scenario's expected client count: one stage per segment of
 * the plan; a step between phases becomes a 1 s ramp (k6 cannot jump).
 */
export function k6Stages(scenario: Scenario): { stages: K6Config['stages']; phases: K6Config['phases'] } {
  const stages: K6Config['stages'] = [];
  const phases: K6Config['phases'] = [];
  let at = 0;
  let current = 0;
  for (const phase of scenario.phases) {
    const plan = clientPlan(phase.clients, at, phase.durationMs);
    phases.push({ name: phase.name, startMs: at, endMs: at + phase.durationMs });
    let last = at;
    for (const point of plan.points) {
      const span = point.atMs - last;
      if (span === 0 && point.clients !== current) stages.push({ duration: '1s', target: point.clients });
      else if (span > 0) stages.push({ duration: `${span}ms`, target: point.clients });
      current = point.clients;
      last = point.atMs;
    }
    at += phase.durationMs;
  }
  stages.push({ duration: '5s', target: 0 });
  return { stages, phases };
}

/**
 * `syncscale export k6`: the scenario's clients as a k6 test for distributed load — script.js and its
 * modules (RSocket sync streams, checksum validation, the fleet's metric names), config.json, the
 * TypeScript sources (typed with @types/k6) and k6-operator manifests for `pods` runner pods. Only the
 * clients are exported; the scenario's writes and probes stay with `syncscale run` or the application.
 */
export async function exportK6(scenario: Scenario, options: K6ExportOptions): Promise<string[]> {
  const target = scenario.target;
  const endpoint = options.endpoint ?? (target.kind === 'external' ? target.endpoint : undefined);
  const scenarioKey = target.kind === 'external' && target.token.kind === 'key' ? target.token : undefined;
  const k = options.key?.k ?? scenarioKey?.k;
  let tokens = options.tokens;
  if (!tokens && !k && target.kind === 'external' && target.token.kind === 'command') {
    tokens = await mintTokens(target.token.command, scenario.dataset.users);
  }
  if (!endpoint || (!k && !tokens?.length)) {
    throw new ServiceError(
      'SSCALE_K0001',
      `${scenario.name}: k6 pods need a deployment they can reach and a token for each user: give the scenario an external target with token.key or token.command, or pass --endpoint with --key or --tokens`,
    );
  }
  if (!tokens && scenarioKey && scenarioKey.alg !== 'HS256' && !options.key) {
    throw new ServiceError(
      'SSCALE_K0001',
      `${scenario.name}: the k6 script signs HS256 tokens; the key is ${scenarioKey.alg}`,
    );
  }
  // The fleet's default audience when the scenario names none: the endpoint.
  const audience = options.key?.audience ?? scenarioKey?.audience?.[0] ?? endpoint;
  const url = new URL(endpoint);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = '/sync/stream';
  const { stages, phases } = k6Stages(scenario);
  const totalMs = phases.at(-1)?.endMs ?? 0;
  const config: K6Config = {
    scenario: scenario.name,
    scenarioHash: scenarioHash(scenario),
    websocketUrl: url.toString(),
    users: scenario.dataset.users,
    userPrefix: 'user',
    ...(tokens?.length
      ? { tokens }
      : { key: { k: k!, kid: options.key?.kid ?? scenarioKey?.kid, audience } }),
    tokenLifetimeSeconds: Math.ceil(totalMs / 1000) + 600,
    stages,
    totalMs,
    stampColumn: 'ss_ts',
    phases,
  };

  const out = path.resolve(options.outDir);
  fs.mkdirSync(path.join(out, 'k8s'), { recursive: true });
  const written: string[] = [];
  // Everything is redacted except what the VUs need to authenticate: config.json and the ConfigMap that
  // carries it hold the tokens (--tokens) or the signing key the user exported for signing in the VUs.
  const write = (name: string, text: string, carriesCredentials = false) => {
    if (carriesCredentials) fs.writeFileSync(path.join(out, name), text);
    else writeArtifact(path.join(out, name), text);
    written.push(name);
  };
  for (const file of RUNTIME_FILES)
    write(file.to, flattenImports(fs.readFileSync(path.join(DIST, file.from), 'utf8')));
  write('config.json', `${JSON.stringify(config, null, 2)}\n`, true);
  // k6 reads the modules as ES modules whatever this says; Node (tests, tooling) needs to be told.
  write('package.json', `${JSON.stringify({ type: 'module', private: true }, null, 2)}\n`);
  const sources = typeScriptSources();
  if (sources) {
    fs.mkdirSync(path.join(out, 'src'), { recursive: true });
    for (const [name, text] of sources) write(path.join('src', name), text);
  }
  const name = kubernetesName(scenario.name);
  write(
    path.join('k8s', 'configmap.yaml'),
    configMap(name, out, [...RUNTIME_FILES.map((f) => f.to), 'config.json']),
    true,
  );
  write(path.join('k8s', 'output-pvc.yaml'), outputClaim(name));
  write(path.join('k8s', 'testrun.yaml'), testRun(name, options.pods));
  write('README.md', exportReadme(scenario, config, name, options.pods));
  return written;
}

/** One token per user from the scenario's token command (`SYNCSCALE_USER_ID=user<n>`), a few at a time. */
async function mintTokens(command: string, users: number): Promise<string[]> {
  const provider = commandTokenProvider(command);
  const tokens: string[] = new Array<string>(users);
  const subjects = datasetUserIds(users);
  let next = 0;
  const worker = async () => {
    while (next < users) {
      const index = next++;
      tokens[index] = await provider(subjects[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, users) }, worker));
  return tokens;
}

/** Imports of the runtime modules as siblings (`./x.js`), the layout of the export directory. */
function flattenImports(source: string): string {
  return source
    .replace(/from '(?:\.\.\/)+fleet\/sync-state\.js'/g, "from './sync-state.js'")
    .replace(/\/\/# sourceMappingURL=.*$/m, '');
}

/** The TypeScript sources of the script, for teams that type-check or change it (a repository checkout). */
function typeScriptSources(): Map<string, string> | undefined {
  const src = path.resolve(DIST, '..', 'src');
  const files: Array<[string, string]> = [
    ['k6-script.ts', 'k6/runtime/k6-script.ts'],
    ['k6-config.ts', 'k6/runtime/k6-config.ts'],
    ['rsocket-session.ts', 'k6/runtime/rsocket-session.ts'],
    ['wire.ts', 'k6/runtime/wire.ts'],
    ['sync-state.ts', 'fleet/sync-state.ts'],
    ['sync-lines.ts', 'fleet/sync-lines.ts'],
  ];
  if (!files.every(([, from]) => fs.existsSync(path.join(src, from)))) return undefined;
  const out = new Map<string, string>();
  for (const [to, from] of files) out.set(to, flattenImports(fs.readFileSync(path.join(src, from), 'utf8')));
  out.set(
    'tsconfig.json',
    `${JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          module: 'ES2022',
          moduleResolution: 'Bundler',
          strict: true,
          noUncheckedIndexedAccess: true,
          noEmit: true,
          types: ['k6'],
        },
        include: ['*.ts'],
      },
      null,
      2,
    )}\n`,
  );
  return out;
}

function kubernetesName(name: string): string {
  return `syncscale-${name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')}`.slice(0, 52);
}

function configMap(name: string, dir: string, files: string[]): string {
  const data = files
    .map((file) => {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      return `  ${file}: |\n${text
        .split('\n')
        .map((line) => (line === '' ? '' : `    ${line}`))
        .join('\n')}`;
    })
    .join('\n');
  return `# The k6 script and its modules; k6-operator mounts them at /test in every runner pod.\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n${data}\n`;
}

function outputClaim(name: string): string {
  return `# Where each runner pod writes its k6 JSON output (one directory per pod). ReadWriteMany: all pods at once.
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: ${name}-output
spec:
  accessModes: [ReadWriteMany]
  resources:
    requests:
      storage: 10Gi
`;
}

function testRun(name: string, pods: number): string {
  return `# k6-operator TestRun: ${pods} runner pods, each a k6 instance with its share of the virtual users
# (execution segments), each writing every sample to /output/<pod>/k6.json for \`syncscale ingest\`.
apiVersion: k6.io/v1alpha1
kind: TestRun
metadata:
  name: ${name}
spec:
  parallelism: ${pods}
  script:
    configMap:
      name: ${name}
      file: script.js
  arguments: --out json=/output/k6.json
  runner:
    env:
      - name: POD_NAME
        valueFrom:
          fieldRef:
            fieldPath: metadata.name
    volumes:
      - name: output
        persistentVolumeClaim:
          claimName: ${name}-output
    volumeMounts:
      - name: output
        mountPath: /output
        # One directory per pod, expanded by Kubernetes: the pods never write the same file.
        subPathExpr: $(POD_NAME)
`;
}

function exportReadme(scenario: Scenario, config: K6Config, name: string, pods: number): string {
  return `# ${scenario.name}: k6 export

Written by \`syncscale export k6\`. Each k6 virtual user is one simulated client: user \`user<n>\` (n = its
id in the test modulo ${config.users}), ${config.tokens ? `token n of the ${config.tokens.length} in config.json (they expire on their own schedule)` : 'an HS256 token signed in the VU'}, one RSocket-over-WebSocket sync stream
to \`${config.websocketUrl}\` with request-N credit and keepalives as the SDKs keep them, checksums validated
at every checkpoint. Metrics use the fleet's names (first_checkpoint, checkpoint_latency, e2e_latency,
connect_time, ops_received, checkpoints_completed, checksum_failures, bytes_received, errors{code}).
Stages follow the scenario's phases (${config.phases.map((p) => p.name).join(', ')}; ${config.totalMs / 1000} s).
Writes are not exported: run them with \`syncscale run\`, or let the application write.

One machine:

    k6 run --out json=k6.json script.js
    syncscale ingest k6.json --scenario <scenario.yaml>

Kubernetes with k6-operator (${pods} pods):

    kubectl apply -f k8s/output-pvc.yaml -f k8s/configmap.yaml -f k8s/testrun.yaml
    # when the TestRun is finished, copy /output/<pod>/k6.json of every pod out of the volume, then:
    syncscale ingest out/*/k6.json --scenario <scenario.yaml>

\`syncscale ingest\` merges the pods' samples into one syncscale run (histograms merged, never averaged
percentiles), so \`syncscale size\`, \`report\` and \`gate\` work on it. src/ holds the TypeScript sources
(\`npx tsc -p src\` with @types/k6 installed type-checks them).
`;
}

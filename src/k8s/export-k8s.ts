import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { ServiceError } from '../errors/index.js';

/**
 * `syncscale export k8s`: a distributed run on Kubernetes the way k6-operator runs k6 — our own clients
 * (HTTP NDJSON/BSON with gzip, RSocket) as an Indexed Job of N shard pods, one coordinator Job for the
 * writers, actions and probes, the scenario in a ConfigMap, the signing key from a Secret (never in the
 * ConfigMap), and a volume both write their run directories to, merged by the coordinator.
 */
export interface K8sExportOptions {
  /** The scenario file's own text (its `!env` tags kept, so secrets stay out of it). */
  scenarioText: string;
  syncConfigText: string;
  scenarioName: string;
  shards: number;
  image: string;
  runKey: string;
  /** Names of environment variables the scenario reads with `!env` that hold secrets: from the Secret. */
  secretEnv: string[];
  outDir: string;
  namespace?: string;
}

/** Kubernetes object names: lowercase letters, digits and dashes. */
export function k8sName(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'scenario'
  );
}

/** The manifests as objects, by file name (tests validate them against the Kubernetes schemas). */
export function k8sManifests(options: Omit<K8sExportOptions, 'outDir'>): Record<string, object> {
  const name = `syncscale-${k8sName(options.scenarioName)}`;
  const meta = (suffix: string) => ({
    name: `${name}-${suffix}`,
    ...(options.namespace ? { namespace: options.namespace } : {}),
    labels: { 'app.kubernetes.io/name': 'syncscale', 'syncscale/run-key': k8sName(options.runKey) },
  });
  const secretName = `${name}-secrets`;
  const env = options.secretEnv.map((variable) => ({
    name: variable,
    valueFrom: { secretKeyRef: { name: secretName, key: variable } },
  }));
  const volumes = [
    { name: 'scenario', configMap: { name: `${name}-scenario` } },
    { name: 'results', persistentVolumeClaim: { claimName: `${name}-results` } },
  ];
  const mounts = [
    { name: 'scenario', mountPath: '/scenario', readOnly: true },
    { name: 'results', mountPath: '/results' },
  ];
  const container = (role: string, args: string[], extraEnv: object[] = []) => ({
    name: role,
    image: options.image,
    args,
    env: [...extraEnv, ...env],
    volumeMounts: mounts,
    resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '2Gi' } },
  });
  return {
    'configmap.yaml': {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta('scenario'),
      data: { 'scenario.yaml': options.scenarioText, 'sync-config.yaml': options.syncConfigText },
    },
    'results-pvc.yaml': {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: meta('results'),
      // Shards and coordinator write to it at once, from different nodes.
      spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '5Gi' } } },
    },
    'shards-job.yaml': {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta('shards'),
      spec: {
        completionMode: 'Indexed',
        completions: options.shards,
        parallelism: options.shards,
        backoffLimit: 0,
        template: {
          metadata: { labels: { 'app.kubernetes.io/name': 'syncscale', 'syncscale/role': 'shard' } },
          spec: {
            restartPolicy: 'Never',
            containers: [
              container(
                'shard',
                [
                  'run',
                  '/scenario/scenario.yaml',
                  '--shard',
                  `$(SHARD_INDEX)/${options.shards}`,
                  '--run-key',
                  options.runKey,
                  '--reports-dir',
                  '/results/shard-$(SHARD_INDEX)',
                ],
                [
                  {
                    name: 'SHARD_INDEX',
                    valueFrom: {
                      fieldRef: {
                        fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']",
                      },
                    },
                  },
                ],
              ),
            ],
            volumes,
          },
        },
      },
    },
    'coordinator-job.yaml': {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta('coordinator'),
      spec: {
        backoffLimit: 0,
        template: {
          metadata: { labels: { 'app.kubernetes.io/name': 'syncscale', 'syncscale/role': 'coordinator' } },
          spec: {
            restartPolicy: 'Never',
            containers: [
              container('coordinator', [
                'run',
                '/scenario/scenario.yaml',
                '--coordinator',
                String(options.shards),
                '--run-key',
                options.runKey,
                '--shard-results',
                '/results',
                '--reports-dir',
                '/results/coordinator',
              ]),
            ],
            volumes,
          },
        },
      },
    },
  };
}

/** Writes the manifests and a README of the commands; returns the files written. */
export function exportK8s(options: K8sExportOptions): string[] {
  const manifests = k8sManifests(options);
  const name = `syncscale-${k8sName(options.scenarioName)}`;
  fs.mkdirSync(options.outDir, { recursive: true });
  const written: string[] = [];
  for (const [file, manifest] of Object.entries(manifests)) {
    fs.writeFileSync(path.join(options.outDir, file), stringify(manifest, { lineWidth: 0 }));
    written.push(file);
  }
  const secrets = options.secretEnv.map((v) => `--from-literal=${v}="$${v}"`).join(' ');
  fs.writeFileSync(
    path.join(options.outDir, 'README.md'),
    `# ${options.scenarioName} on Kubernetes: ${options.shards} shards and a coordinator

Written by \`syncscale export k8s\`. The shards (an Indexed Job, one pod per shard; each pod's
\`batch.kubernetes.io/job-completion-index\` is its \`--shard i/${options.shards}\`) run the scenario's clients;
the coordinator Job runs the writers, actions, probes and thresholds. They meet at a barrier on the source
database (table \`syncscale_barrier\`, run key \`${options.runKey}\`) and start together; each shard measures its
clock against the source database and corrects its end-to-end latencies. The coordinator merges every shard's
results from the shared volume into its own run directory.

\`\`\`sh
${options.secretEnv.length ? `kubectl create secret generic ${name}-secrets ${secrets}\n` : ''}kubectl apply -f results-pvc.yaml -f configmap.yaml
kubectl apply -f coordinator-job.yaml -f shards-job.yaml
kubectl wait --for=condition=complete --timeout=1h job/${name}-coordinator
# the run directory (results.json, report.md/html, each shard's under shards/) from the volume:
kubectl run ${name}-fetch --image=${options.image} --restart=Never --overrides='{"spec":{"volumes":[{"name":"r","persistentVolumeClaim":{"claimName":"${name}-results"}}],"containers":[{"name":"f","image":"${options.image}","command":["sleep","600"],"volumeMounts":[{"name":"r","mountPath":"/results"}]}]}}'
kubectl cp ${name}-fetch:/results ./results
kubectl delete pod ${name}-fetch; kubectl delete -f shards-job.yaml -f coordinator-job.yaml
\`\`\`

The image is built from the repository's \`Dockerfile\` (Node 20 slim, \`npm ci --omit=dev\`). The target must
be external (\`target.external\` in the scenario): pods cannot reach an embedded service. Secrets the scenario
reads with \`!env\` (${options.secretEnv.join(', ') || 'none'}) come from the Secret, never from the ConfigMap.
`,
  );
  written.push('README.md');
  return written;
}

/**
 * The scenario text as it may go into a ConfigMap: its sync config path pointed at the file beside it, and
 * refused when it holds a signing key or password literally (they must come from `!env`, i.e. the Secret).
 */
export function configMapScenario(text: string, literalSecrets: readonly string[]): string {
  for (const secret of literalSecrets)
    if (secret && text.includes(secret))
      throw new ServiceError(
        'SSCALE_E0003',
        'the scenario holds a secret literally (a signing key or a password): read it with !env NAME, so the export can take it from a Kubernetes Secret instead of the ConfigMap',
      );
  return text.replace(/^(\s*sync_config:\s*).*$/m, '$1./sync-config.yaml');
}

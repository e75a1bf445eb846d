import type { ProbesConfig, RunnerMode } from './types.js';

/**
 * `healthcheck.probes` → the effective probe mechanisms (service.md §8.1). Without the block the service is
 * in legacy mode: filesystem probes always, HTTP probes in `api`/`unified` mode. With the block each
 * mechanism must be enabled explicitly (`use_legacy: true` restores the legacy behaviour).
 */
export function resolveProbes(probes?: {
  use_http?: boolean;
  use_filesystem?: boolean;
  use_legacy?: boolean;
}): ProbesConfig {
  if (!probes) return { legacy: true, http: false, filesystem: true };
  const legacy = probes.use_legacy === true;
  return { legacy, http: probes.use_http === true, filesystem: legacy || probes.use_filesystem === true };
}

/** Whether `/probes/*` are served over HTTP in this runner mode. */
export function httpProbesEnabled(probes: ProbesConfig, mode: RunnerMode): boolean {
  return probes.http || (probes.legacy && mode !== 'sync');
}

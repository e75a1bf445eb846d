import type { Scenario } from './types.js';

/**
 * The `scenario` block of a run's results.json: what ran, against what. Written by `syncscale run` and by
 * `syncscale ingest` (k6 pods' output), so the report and the sizing read the same shape from both.
 * `syncConfigBuckets` is known only where the run loaded the sync config.
 */
export function scenarioRecord(scenario: Scenario, syncConfigBuckets?: number | null) {
  return {
    name: scenario.name,
    source: scenario.sourcePath,
    target: scenario.target,
    compression: scenario.compression,
    ...(syncConfigBuckets === undefined ? {} : { syncConfig: { buckets: syncConfigBuckets } }),
    dataset: scenario.dataset,
  };
}

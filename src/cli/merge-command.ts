import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { ExitCode } from '../errors/index.js';
import type { CliIo } from './io.js';

/**
 * `syncscale merge <coordinator-run> <shard-run>…`: pools shards into their coordinator's run directory after
 * the fact (a coordinator that ended before a shard's results arrived, or runs collected by hand from a
 * cluster's volume). The same merge the coordinator makes at the end of its phases.
 */
export function mergeCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return new Command('merge')
    .description("pool shards' run directories into their coordinator's (HDR pooled, counters summed)")
    .argument('<coordinator-run>', 'the run directory of `syncscale run … --coordinator N`')
    .argument('<shard-runs...>', 'each shard’s run directory (`--shard i/N`), in any order')
    .action(async (coordinator: string, shards: string[]) => {
      setExitCode(
        await merge(
          path.resolve(io.cwd, coordinator),
          shards.map((s) => path.resolve(io.cwd, s)),
          io,
        ),
      );
    });
}

async function merge(dir: string, shardDirs: string[], io: CliIo): Promise<number> {
  const file = path.join(dir, 'results.json');
  if (!fs.existsSync(file)) {
    io.stderr(`[SSCALE_E0003] ${dir}: no results.json (not a run directory)\n`);
    return ExitCode.USAGE;
  }
  const { findShardResults, mergePhase, readShardRun, shardMembers } =
    await import('../scenario/distributed.js');
  type Outcome = ReturnType<typeof readShardRun>;
  const { judgeRun } = await import('../scenario/phase-validity.js');
  const { redactedJson, writeArtifact } = await import('../redact/index.js');
  const results = JSON.parse(fs.readFileSync(file, 'utf8'));
  const original = path.join(dir, 'results.coordinator.json');
  // The coordinator's own figures are kept beside the merge: merging twice starts from them again.
  const base = fs.existsSync(original) ? JSON.parse(fs.readFileSync(original, 'utf8')) : results;
  if (base === results && (results.distributed?.members?.length ?? 0) > 0) {
    io.stderr(
      `[SSCALE_E0003] ${dir}: its results.json is already merged and results.coordinator.json (its own figures) is missing\n`,
    );
    return ExitCode.USAGE;
  }
  if (base.distributed?.role !== 'coordinator') {
    io.stderr(
      `[SSCALE_E0003] ${dir} is not a coordinator's run (run it with --coordinator N or --generators N)\n`,
    );
    return ExitCode.USAGE;
  }
  const shards: Outcome[] = shardDirs.map((shardDir, order) => {
    const found = findShardResults(shardDir);
    return found
      ? readShardRun(found, order)
      : { index: order, problem: `shard ${order}: no results.json in ${shardDir}` };
  });
  const missing = Array.from({ length: base.distributed.shards }, (_, i) => i).filter(
    (i) => !shards.some((s) => s.index === i),
  );
  const all: Outcome[] = [
    ...shards,
    ...missing.map((index) => ({ index, problem: `shard ${index}: not given to merge` })),
  ];
  const phases = base.phases.map((p: Parameters<typeof mergePhase>[0]) => mergePhase(p, all));
  const validity = judgeRun(phases, []);
  const complete = all.every((s) => !s.problem);
  const merged = {
    ...base,
    status: complete ? base.status : 'incomplete',
    validity,
    phases,
    distributed: {
      ...base.distributed,
      complete,
      members: shardMembers(all),
    },
  };
  if (!fs.existsSync(original)) writeArtifact(original, redactedJson(base) + '\n');
  writeArtifact(file, redactedJson(merged) + '\n');
  io.stdout(
    `Merged ${shards.length} shard(s) into ${dir}: ${phases.length} phases, ${
      complete
        ? 'complete'
        : `incomplete (${all
            .filter((s) => s.problem)
            .map((s) => s.problem)
            .join('; ')})`
    }; run ${validity.valid ? 'valid' : `INVALID: ${validity.reasons.join('; ')}`}.\n` +
      `The coordinator's own results: ${original}. Next: syncscale report ${dir}; syncscale size --from ${dir} --profile …\n`,
  );
  return validity.valid ? ExitCode.OK : ExitCode.RUN_INVALID;
}

import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Integration files that take longest (each 20–60 s on 2 cores), longest first. Vitest orders files by the
 * durations of earlier runs, but a fresh clone (CI) has none and falls back to file size, which put the
 * longest file — a small one — last, running alone at the end. Starting these first packs the two
 * workers evenly.
 */
const SLOW_FIRST = [
  'gate-command',
  'run-command',
  'drill-command',
  'run-external-roles',
  'run-interrupt',
  'replication-recovery',
  'faults',
  'soak-churn',
  'fleet-sync',
];

function rank(spec: TestSpecification): number {
  const index = SLOW_FIRST.findIndex((name) => spec.moduleId.endsWith(`/${name}.test.ts`));
  return index < 0 ? SLOW_FIRST.length : index;
}

export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    // Within each project's run of files (projects stay in the order the base sequencer gives them).
    const out: TestSpecification[] = [];
    let group: TestSpecification[] = [];
    const flush = () => {
      out.push(
        ...group
          .map((spec, i) => ({ spec, i }))
          .sort((a, b) => rank(a.spec) - rank(b.spec) || a.i - b.i)
          .map((x) => x.spec),
      );
      group = [];
    };
    for (const spec of sorted) {
      if (group.length > 0 && group[0]!.project.name !== spec.project.name) flush();
      group.push(spec);
    }
    flush();
    return out;
  }
}

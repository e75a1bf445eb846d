/** Cleanup that also runs on SIGINT/SIGTERM and on a global deadline: no child or database left behind. */

const cleanups: Array<() => Promise<void> | void> = [];
let cleaningUp: Promise<void> | null = null;

/** Registers a cleanup step; steps run in reverse order of registration. */
export function onCleanup(step: () => Promise<void> | void): void {
  cleanups.push(step);
}

export function runCleanups(): Promise<void> {
  cleaningUp ??= (async () => {
    for (const step of cleanups.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        console.error(`cleanup step failed: ${(error as Error).message}`);
      }
    }
  })();
  return cleaningUp;
}

/** SIGINT/SIGTERM and a hard deadline stop everything (child, Postgres) and exit non-zero. */
export function installGuards(deadlineMs: number): void {
  const bail = (why: string, code: number) => {
    console.error(`\n${why}: stopping the service child and Postgres`);
    const force = setTimeout(() => process.exit(code), 30_000);
    force.unref();
    void runCleanups().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => bail('SIGINT', 130));
  process.once('SIGTERM', () => bail('SIGTERM', 143));
  const timer = setTimeout(
    () => bail(`benchmark exceeded its ${deadlineMs / 1000} s deadline`, 1),
    deadlineMs,
  );
  timer.unref();
}

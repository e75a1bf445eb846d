import { ExitCode } from '../errors/index.js';
/**
 * The process boundary the commands see: output streams and signals. Commands receive it so tests can run
 * them in memory and assert exit codes (house style: one owner of the process boundary).
 */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Resolves with the signal name when the process is asked to stop; a second signal calls `onForce`. */
  onShutdownSignal: (onForce: () => void) => Promise<string>;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    onShutdownSignal: (onForce) =>
      new Promise((resolve) => {
        let received = false;
        const handler = (signal: NodeJS.Signals) => {
          if (received) return onForce();
          received = true;
          resolve(signal);
        };
        for (const signal of ['SIGTERM', 'SIGINT', 'SIGUSR2'] as const) process.on(signal, handler);
      }),
  };
}

/**
 * Ctrl-C (or SIGTERM) during a long command: the first signal aborts the returned controller so the command
 * stops and keeps what it gathered (saying `stopping`); a second one kills every service child at once.
 */
function interruptOnSignal(io: CliIo, stopping: string, killAll: () => void): AbortController {
  const interrupt = new AbortController();
  void io
    .onShutdownSignal(() => {
      killAll();
      io.stderr('Forced stop.\n');
    })
    .then((signal) => {
      io.stderr(`\n${signal}: ${stopping}…\n`);
      interrupt.abort();
    });
  return interrupt;
}

/**
 * Runs a long command that starts service processes (run, drill): Ctrl-C aborts the signal it gets, so it
 * stops and keeps what it gathered; a crash kills every service child and is exit 1 with the stack.
 */
export async function runStoppable(
  io: CliIo,
  stopping: string,
  killAll: () => void,
  body: (signal: AbortSignal) => Promise<number>,
): Promise<number> {
  const interrupt = interruptOnSignal(io, stopping, killAll);
  try {
    return await body(interrupt.signal);
  } catch (error) {
    killAll();
    io.stderr(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.FAILURE;
  }
}

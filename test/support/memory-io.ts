import type { CliIo } from '../../src/cli/io.js';

/** The CLI's process boundary in memory: what a command printed, for tests that call `main` directly. */
export function memoryIo(cwd: string, env: NodeJS.ProcessEnv = {}): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
    env,
    cwd,
    onShutdownSignal: () => new Promise<string>(() => undefined),
  };
  return io;
}

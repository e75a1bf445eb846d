import { pino } from 'pino';

export type LogLevel = 'silly' | 'debug' | 'verbose' | 'info' | 'warn' | 'error';

/** The service's logger: `system.logging.format` json (pino, one object per line) or text (one line each). */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const RANK: Record<LogLevel, number> = { silly: 0, debug: 1, verbose: 2, info: 3, warn: 4, error: 5 };
const PINO_LEVEL: Record<LogLevel, string> = {
  silly: 'trace',
  debug: 'debug',
  verbose: 'debug',
  info: 'info',
  warn: 'warn',
  error: 'error',
};

export function createLogger(
  options: { level?: LogLevel; format?: 'json' | 'text'; name?: string } = {},
): Logger {
  const level = options.level ?? 'info';
  if (options.format === 'json') {
    const log = pino({ level: PINO_LEVEL[level], base: options.name ? { name: options.name } : {} });
    return {
      debug: (m, f) => log.debug(f ?? {}, m),
      info: (m, f) => log.info(f ?? {}, m),
      warn: (m, f) => log.warn(f ?? {}, m),
      error: (m, f) => log.error(f ?? {}, m),
    };
  }
  const write = (at: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (RANK[at] < RANK[level]) return;
    const extra = fields && Object.keys(fields).length > 0 ? ' ' + JSON.stringify(fields) : '';
    process.stdout.write(`${new Date().toISOString()} ${at.toUpperCase()} ${message}${extra}\n`);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

/** A logger that drops everything (library use and tests). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Renders an error with its code and cause chain on one line. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth++) {
    parts.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ');
}

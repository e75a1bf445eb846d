export { createLogger, silentLogger, describeError, type Logger, type LogLevel } from './logger.js';

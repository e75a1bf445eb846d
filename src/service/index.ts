/** The reference sync service: what the CLI and the scenario runner may use. Never imports the fleet. */
export { startService, type RunningService } from './runner/index.js';
export {
  loadServiceConfig,
  parseServiceConfig,
  ConfigError,
  type LoadedServiceConfig,
  type RunnerMode,
} from './config/index.js';
export { createLogger, type Logger } from './logging/index.js';
export { createStoragePool, migrate, type MigrationDirection } from './storage/index.js';

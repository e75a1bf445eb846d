export { ErrorCodes, type ErrorCode } from './codes.js';
export { ServiceError, isServiceError, type ErrorBody } from './service-error.js';
export { ExitCode, type ExitCodeValue } from './exit-codes.js';

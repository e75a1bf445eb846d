export { tokenFromAuthorizationHeader } from './authorization-header.js';
export {
  TokenVerifier,
  CLOCK_TOLERANCE_SECONDS,
  MAX_TOKEN_LIFETIME_SECONDS,
  KEY_NOT_FOUND_MESSAGE,
  MALFORMED_TOKEN_MESSAGE,
} from './token-verifier.js';
export { SUPPORTED_ALGORITHMS, type TokenAlgorithm } from './keys.js';

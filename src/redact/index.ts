/** Redaction at the boundary where data leaves the process (issue: no secret in any artifact). */
export { fingerprint, redactedLabel, Redactor, redactor, SECRET_ENV_NAME } from './redactor.js';
export { redactedJson, redactingStream, writeArtifact, writeArtifactAsync } from './artifact.js';

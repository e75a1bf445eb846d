import { createHash } from 'node:crypto';

/**
 * What leaves the process as a file is redacted here: results, logs, reports, recommendations, calibrations,
 * gate and baseline files, drill outputs, k6 exports. Known secrets (registered when a scenario, drill or
 * config is read: signing keys, passwords, tokens, values a scenario marks secret or whose `!env` name looks
 * secret) are replaced wherever they appear — raw, base64, base64url or URL-encoded — by a stable
 * fingerprint; passwords in URLs, JWTs and Authorization header values are replaced by pattern, registered
 * or not. What is needed to compare runs stays: hosts, ports, databases, kid, audience.
 */

/** Shorter values are not registered: redacting "abc" everywhere would mangle the artifacts. */
const MIN_SECRET_LENGTH = 6;
/**
 * Values that are not secrets although they sit in a secret slot: the embedded Postgres's fixed password
 * (published in this source; it guards a throwaway server on 127.0.0.1) and the default user. They are
 * still masked inside URLs by pattern; replacing the word everywhere would rename the product in every file.
 */
const PUBLIC_VALUES = new Set(['syncscale', 'postgres']);

/** A key's stable fingerprint: the first 8 hex digits of its sha256, so two runs can be seen to share it. */
export function fingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 8);
}

export const redactedLabel = (secret: string): string => `REDACTED(sha256:${fingerprint(secret)})`;

/** URL schemes whose user-info may carry a password. */
const URL_USERINFO =
  /\b((?:postgres(?:ql)?|mongodb(?:\+srv)?|https?|wss?):\/\/)([^:@/\s"'`]+):([^@/\s"'`]+)@/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g;
const AUTH_HEADER = /(authorization["']?\s*[:=]\s*["']?\s*(?:bearer|token|basic)\s+)([^\s"',}]+)/gi;
/** JWK members that are private (RFC 7518 §6.2.2, §6.3.2) or the symmetric key itself (`k`). */
const JWK_PRIVATE = new Set(['k', 'd', 'p', 'q', 'dp', 'dq', 'qi', 'oth']);
/** Object keys whose string values are secrets wherever they appear. */
const SECRET_KEYS = /^(password|passwd|secret|token|access_token|api_key|apikey|authorization|private_key)$/i;
/** `!env` names that look secret. */
export const SECRET_ENV_NAME = /SECRET|PASSWORD|TOKEN|KEY/i;

export class Redactor {
  private readonly secrets = new Map<string, string>();
  private pattern: RegExp | undefined;

  /** Registers a secret value (and its encodings); values shorter than 6 characters are ignored. */
  add(secret: string | undefined | null): void {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH || PUBLIC_VALUES.has(secret)) return;
    const label = redactedLabel(secret);
    const variants = new Set([
      secret,
      Buffer.from(secret).toString('base64'),
      Buffer.from(secret).toString('base64').replace(/=+$/, ''),
      Buffer.from(secret).toString('base64url'),
      encodeURIComponent(secret),
    ]);
    for (const v of variants)
      if (v.length >= MIN_SECRET_LENGTH && !this.secrets.has(v)) this.secrets.set(v, label);
    this.pattern = undefined;
  }

  /** Registers the password of a URL's user-info (if any). */
  addUrl(url: string | undefined | null): void {
    if (typeof url !== 'string') return;
    for (const m of url.matchAll(URL_USERINFO)) {
      this.add(m[3]);
      try {
        this.add(decodeURIComponent(m[3]!));
      } catch {
        // not URL-encoded
      }
    }
  }

  /** Registers every secret a parsed config or scenario object holds (see `value` for what counts). */
  addFrom(value: unknown): void {
    walk(value, undefined, (key, str, parent) => {
      if (isSecretSlot(key, parent)) this.add(str);
      this.addUrl(str);
    });
  }

  get size(): number {
    return this.secrets.size;
  }

  /** The text with every known secret and every secret-looking pattern replaced. */
  text(input: string): string {
    let out = input;
    if (this.secrets.size > 0) {
      this.pattern ??= new RegExp(
        [...this.secrets.keys()]
          .sort((a, b) => b.length - a.length)
          .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('|'),
        'g',
      );
      out = out.replace(this.pattern, (m) => this.secrets.get(m) ?? 'REDACTED');
    }
    return out
      .replace(URL_USERINFO, (_m, scheme: string, user: string) => `${scheme}${user}:REDACTED@`)
      .replace(JWT, (m) => `REDACTED-JWT(sha256:${fingerprint(m)})`)
      .replace(AUTH_HEADER, (_m, head: string, value: string) => `${head}${redactedLabel(value)}`);
  }

  /** A deep copy of a JSON-like value with secret slots replaced and every string redacted as text. */
  value<T>(input: T): T {
    return mapValue(input, undefined, undefined, (key, str, parent) =>
      isSecretSlot(key, parent) ? redactedLabel(str) : this.text(str),
    ) as T;
  }
}

function isSecretSlot(key: string | undefined, parent: Record<string, unknown> | undefined): boolean {
  if (key === undefined) return false;
  if (SECRET_KEYS.test(key)) return true;
  // A JWK's private members; `k` also where a scenario names a key `{k, kid}` without `kty`.
  return JWK_PRIVATE.has(key) && parent !== undefined && ('kty' in parent || 'kid' in parent || key === 'k');
}

function walk(
  value: unknown,
  key: string | undefined,
  visit: (key: string | undefined, str: string, parent: Record<string, unknown> | undefined) => void,
  parent?: Record<string, unknown>,
  depth = 0,
): void {
  if (depth > 64) return;
  if (typeof value === 'string') visit(key, value, parent);
  else if (Array.isArray(value)) for (const v of value) walk(v, key, visit, parent, depth + 1);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value))
      walk(v, k, visit, value as Record<string, unknown>, depth + 1);
}

function mapValue(
  value: unknown,
  key: string | undefined,
  parent: Record<string, unknown> | undefined,
  map: (key: string | undefined, str: string, parent: Record<string, unknown> | undefined) => string,
  depth = 0,
): unknown {
  if (depth > 64) return value;
  if (typeof value === 'string') return map(key, value, parent);
  if (Array.isArray(value)) return value.map((v) => mapValue(v, key, parent, map, depth + 1));
  if (value && typeof value === 'object') {
    if (value instanceof Date) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = mapValue(v, k, value as Record<string, unknown>, map, depth + 1);
    return out;
  }
  return value;
}

/** The process's redactor: every artifact writer uses it. */
export const redactor = new Redactor();

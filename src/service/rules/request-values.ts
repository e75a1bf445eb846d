import { jsonToSqlite } from './json-extract.js';
import { anyJsonText } from './json-text.js';
import type { SqliteValue } from './sqlite-value.js';

/** What a connection brings to parameter queries: the authenticated user, the JWT payload, client parameters. */
export interface RequestContext {
  userId: string;
  jwt: Record<string, unknown>;
  parameters: Record<string, unknown>;
}

/** The request functions of sync-config SQL, evaluated lazily once per connection. */
export class RequestValues {
  private jwtJson: string | undefined;
  private parametersJson: string | undefined;

  constructor(private readonly context: RequestContext) {}

  /** `request.user_id()`: the JWT `sub`. */
  userId(): SqliteValue {
    return this.context.userId;
  }

  /** `request.jwt()`: the JWT payload as JSON text. */
  jwtText(): string {
    this.jwtJson ??= anyJsonText(this.context.jwt);
    return this.jwtJson;
  }

  /** `request.parameters()`: the client parameters as JSON text. */
  parametersText(): string {
    this.parametersJson ??= anyJsonText(this.context.parameters);
    return this.parametersJson;
  }

  /** `token_parameters.<name>`: the JWT `parameters` claim, except `user_id`, which is the `sub`. */
  tokenParameter(name: string): SqliteValue {
    if (name === 'user_id') return this.context.userId;
    const claim = this.context.jwt['parameters'];
    if (claim === null || typeof claim !== 'object' || Array.isArray(claim)) return null;
    return memberValue(claim as Record<string, unknown>, name);
  }

  /** `user_parameters.<name>` and `request.parameter('<name>')`: one client parameter. */
  userParameter(name: string): SqliteValue {
    return memberValue(this.context.parameters, name);
  }
}

function memberValue(object: Record<string, unknown>, name: string): SqliteValue {
  return Object.hasOwn(object, name) ? jsonToSqlite(object[name]) : null;
}

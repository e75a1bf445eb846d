/**
 * Byte-level helpers for the k6 client, written for a runtime without Node's Buffer or TextDecoder (k6's
 * JavaScript VM): UTF-8 and a BSON reader for the sync lines the service sends in RSocket PAYLOADs. No imports:
 * `syncscale export k6` copies the compiled file next to the k6 script as it is.
 */

export function utf8Encode(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (code < 0x80) out.push(code);
    else if (code < 0x800) out.push(0xc0 | (code >> 6), 0x80 | (code & 63));
    else if (code < 0x10000) out.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
    else
      out.push(
        0xf0 | (code >> 18),
        0x80 | ((code >> 12) & 63),
        0x80 | ((code >> 6) & 63),
        0x80 | (code & 63),
      );
  }
  return new Uint8Array(out);
}

export function utf8Decode(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let text = '';
  let chunk: number[] = [];
  for (let i = start; i < end;) {
    const byte = bytes[i]!;
    let code: number;
    if (byte < 0x80) {
      code = byte;
      i += 1;
    } else if (byte < 0xe0) {
      code = ((byte & 31) << 6) | (bytes[i + 1]! & 63);
      i += 2;
    } else if (byte < 0xf0) {
      code = ((byte & 15) << 12) | ((bytes[i + 1]! & 63) << 6) | (bytes[i + 2]! & 63);
      i += 3;
    } else {
      code =
        ((byte & 7) << 18) |
        ((bytes[i + 1]! & 63) << 12) |
        ((bytes[i + 2]! & 63) << 6) |
        (bytes[i + 3]! & 63);
      i += 4;
    }
    if (code >= 0x10000) {
      code -= 0x10000;
      chunk.push(0xd800 + (code >> 10), 0xdc00 + (code & 1023));
    } else chunk.push(code);
    if (chunk.length > 4096) {
      text += String.fromCharCode(...chunk);
      chunk = [];
    }
  }
  return text + String.fromCharCode(...chunk);
}

export class BsonError extends Error {}

/**
 * Reads one BSON document (the types a sync line uses: double, string, document, array, binary as a byte
 * count, boolean, null, int32, int64 as a Number — checksums and counts fit — and timestamps as Numbers).
 */
export function decodeBson(bytes: Uint8Array): Record<string, unknown> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = (
    offset: number,
    isArray: boolean,
  ): { value: Record<string, unknown> | unknown[]; end: number } => {
    if (offset + 5 > bytes.length) throw new BsonError('BSON document truncated');
    const size = view.getInt32(offset, true);
    const end = offset + size;
    if (size < 5 || end > bytes.length) throw new BsonError(`BSON document of ${size} bytes does not fit`);
    const result: Record<string, unknown> = {};
    const list: unknown[] = [];
    let at = offset + 4;
    while (at < end - 1) {
      const type = bytes[at++]!;
      const nameEnd = bytes.indexOf(0, at);
      if (nameEnd < 0 || nameEnd >= end) throw new BsonError('BSON name not terminated');
      const name = utf8Decode(bytes, at, nameEnd);
      at = nameEnd + 1;
      let value: unknown;
      switch (type) {
        case 0x01:
          value = view.getFloat64(at, true);
          at += 8;
          break;
        case 0x02: {
          const length = view.getInt32(at, true);
          value = utf8Decode(bytes, at + 4, at + 4 + length - 1);
          at += 4 + length;
          break;
        }
        case 0x03:
        case 0x04: {
          const inner = read(at, type === 0x04);
          value = inner.value;
          at = inner.end;
          break;
        }
        case 0x05: {
          const length = view.getInt32(at, true);
          value = bytes.slice(at + 5, at + 5 + length);
          at += 5 + length;
          break;
        }
        case 0x08:
          value = bytes[at] === 1;
          at += 1;
          break;
        case 0x0a:
          value = null;
          break;
        case 0x10:
          value = view.getInt32(at, true);
          at += 4;
          break;
        case 0x11:
        case 0x12:
          value = view.getUint32(at, true) + view.getInt32(at + 4, true) * 2 ** 32;
          at += 8;
          break;
        default:
          throw new BsonError(`BSON type 0x${type.toString(16)} is not used by sync lines`);
      }
      if (isArray) list.push(value);
      else result[name] = value;
    }
    return { value: isArray ? list : result, end };
  };
  return read(0, false).value as Record<string, unknown>;
}

/** Base64url without padding, for JWT parts (k6 has `k6/encoding`, but the Node test path must not need it). */
export function base64UrlEncode(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    out += alphabet[a >> 2]!;
    out += alphabet[((a & 3) << 4) | ((b ?? 0) >> 4)]!;
    if (b !== undefined) out += alphabet[((b & 15) << 2) | ((c ?? 0) >> 6)]!;
    if (c !== undefined) out += alphabet[c & 63]!;
  }
  return out;
}

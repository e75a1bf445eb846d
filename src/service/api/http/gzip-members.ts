import type http from 'node:http';
import zlib from 'node:zlib';

/**
 * One-shot compressor settings: a 4 KiB window and small hash tables are plenty for sync lines, and make
 * each member's short-lived deflate state (~24 KB) cheap to set up.
 */
const MEMBER_OPTIONS: zlib.ZlibOptions = { level: 6, windowBits: 12, memLevel: 5 };

/**
 * gzip for a long-lived stream as a series of gzip members (RFC 1952 §2.2: a gzip file is a series of
 * members, and decoders concatenate them): the lines written in one turn of the event loop are compressed
 * together, with a one-shot compressor, into one complete member (header, deflate data, trailer). An idle
 * stream therefore holds no deflate state at all — a streaming compressor holds ~100–200 KB per stream for
 * its whole life. Node's zlib, undici's fetch and browsers decode multi-member gzip.
 */
export class GzipMembers {
  private pending: Buffer[] = [];
  private scheduled = false;
  /** False while the response's buffer is full: the caller waits for 'drain'. */
  private writable = true;

  constructor(
    private readonly res: http.ServerResponse,
    private readonly onSent: (bytes: number) => void,
  ) {}

  /** Queues bytes for the next member; returns false when the response is backpressured. */
  write(bytes: Buffer): boolean {
    this.pending.push(bytes);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return this.writable;
  }

  /** Compresses what is queued into one member and writes it. */
  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0 || this.res.destroyed) return;
    const input = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [];
    const member = zlib.gzipSync(input, MEMBER_OPTIONS);
    this.onSent(member.length);
    this.writable = this.res.write(member);
    if (!this.writable) this.res.once('drain', () => (this.writable = true));
  }
}

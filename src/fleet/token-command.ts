import { execFile } from 'node:child_process';

/** A token provider that runs the user's command with SYNCSCALE_USER_ID set; its trimmed stdout is the token. */
export function commandTokenProvider(command: string): (sub: string) => Promise<string> {
  return (sub) =>
    new Promise((resolve, reject) => {
      execFile(
        '/bin/sh',
        ['-c', command],
        { env: { ...process.env, SYNCSCALE_USER_ID: sub }, timeout: 30_000 },
        (error, stdout) => {
          if (error) reject(new Error(`token command failed for ${sub}: ${error.message}`));
          else resolve(stdout.trim());
        },
      );
    });
}

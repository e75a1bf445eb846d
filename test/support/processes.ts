import fs from 'node:fs';

/** Command lines of this machine's processes that mention `fragment` (a run directory, `-D <datadir>`). */
export function processesMentioning(fragment: string): string[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        return '';
      }
    })
    .filter((cmd) => cmd.includes(fragment));
}

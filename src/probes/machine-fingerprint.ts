import fs from 'node:fs';
import os from 'node:os';

/**
 * What the machine that made a run was: stored with every run so the regression gate can tell when two
 * sets of runs came from different hardware (times and CPU shares then do not compare).
 */
export interface MachineFingerprint {
  cpuModel: string;
  /** Cores Node may use (`os.availableParallelism()`). */
  cores: number;
  nodeVersion: string;
  platform: string;
  arch: string;
  totalMemoryBytes: number;
  /** cgroup v2 limits of this process's cgroup, as written in cpu.max / memory.max ("max" = none). */
  cgroup: { cpuMax?: string; memoryMax?: string };
}

/** The fingerprint of the machine this process runs on. */
export function machineFingerprint(): MachineFingerprint {
  const cpus = os.cpus();
  return {
    cpuModel: (cpus[0]?.model ?? 'unknown').trim(),
    cores: os.availableParallelism(),
    nodeVersion: process.version,
    platform: process.platform,
    arch: process.arch,
    totalMemoryBytes: os.totalmem(),
    cgroup: ownCgroupLimits(),
  };
}

/**
 * The fields whose difference makes machine-dependent figures incomparable, with both values; empty when
 * the two fingerprints describe the same machine class. Total memory is compared to within 5 % (kernels
 * reserve slightly different amounts on identical machines).
 */
export function fingerprintDifferences(
  a: MachineFingerprint,
  b: MachineFingerprint,
): Array<{ field: string; a: string; b: string }> {
  const differences: Array<{ field: string; a: string; b: string }> = [];
  const compare = (field: string, x: unknown, y: unknown) => {
    if (String(x) !== String(y)) differences.push({ field, a: String(x), b: String(y) });
  };
  compare('cpuModel', a.cpuModel, b.cpuModel);
  compare('cores', a.cores, b.cores);
  compare('nodeVersion', a.nodeVersion, b.nodeVersion);
  compare('arch', a.arch, b.arch);
  compare('cgroup.cpuMax', a.cgroup.cpuMax ?? 'none', b.cgroup.cpuMax ?? 'none');
  compare('cgroup.memoryMax', a.cgroup.memoryMax ?? 'none', b.cgroup.memoryMax ?? 'none');
  const ratio = a.totalMemoryBytes / b.totalMemoryBytes;
  if (!(ratio > 0.95 && ratio < 1.05)) compare('totalMemoryBytes', a.totalMemoryBytes, b.totalMemoryBytes);
  return differences;
}

function ownCgroupLimits(): MachineFingerprint['cgroup'] {
  try {
    // cgroup v2: "0::/path" is the only line.
    const line = fs
      .readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'));
    if (!line) return {};
    const dir = `/sys/fs/cgroup${line.slice(3).trim()}`.replace(/\/$/, '');
    return { cpuMax: readTrimmed(`${dir}/cpu.max`), memoryMax: readTrimmed(`${dir}/memory.max`) };
  } catch {
    return {};
  }
}

function readTrimmed(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

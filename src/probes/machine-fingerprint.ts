import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { cgroupPathOf } from './cgroup-probe.js';

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
export async function machineFingerprint(): Promise<MachineFingerprint> {
  const cpus = os.cpus();
  return {
    cpuModel: (cpus[0]?.model ?? 'unknown').trim(),
    cores: os.availableParallelism(),
    nodeVersion: process.version,
    platform: process.platform,
    arch: process.arch,
    totalMemoryBytes: os.totalmem(),
    cgroup: await ownCgroupLimits(),
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

/** cpu.max and memory.max of this process's cgroup v2 directory (found by the cgroup probe's lookup). */
async function ownCgroupLimits(): Promise<MachineFingerprint['cgroup']> {
  const dir = await cgroupPathOf('self');
  if (!dir) return {};
  const read = (file: string) =>
    readFile(`${dir}/${file}`, 'utf8').then(
      (t) => t.trim(),
      () => undefined,
    );
  const [cpuMax, memoryMax] = await Promise.all([read('cpu.max'), read('memory.max')]);
  return { cpuMax, memoryMax };
}

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfile, parseProfile, peakConnections, ProfileError } from '../../../../src/analysis/index.js';

const root = path.resolve(__dirname, '../../../..');

describe('capacity profile', () => {
  it('loads the shipped profiles', () => {
    const d = loadProfile(path.join(root, 'scenarios/profile-default.yaml'));
    expect(peakConnections(d)).toBe(2000);
    expect(d.api.max_concurrent_connections).toBe(100);
    const c = loadProfile(path.join(root, 'scenarios/profile-consumer.yaml'));
    expect(peakConnections(c)).toBe(16000); // 200,000 × 1.6 × 0.05
  });

  it('applies defaults: cap 200, N+1 with at least 2, 2h window', () => {
    const p = parseProfile({
      name: 'x',
      connections: { peak: 10 },
      writes: { peak_tx_per_second: 1, average_tx_per_second: 1 },
      data: { users: 1, rows_per_user: 1, bytes_per_row: 1 },
      containers: { shapes: [{ cpu: 1, memory_mb: 1024 }] },
    });
    expect(p.api.max_concurrent_connections).toBe(200);
    expect(p.high_availability).toEqual({ n_plus_one: true, min_api_containers: 2 });
    expect(p.compaction.window).toBe('2h');
  });

  it('reports every problem with its path', () => {
    let error: ProfileError | undefined;
    try {
      parseProfile({
        name: 'x',
        connections: { peak: 10 },
        writes: { peak_tx_per_second: -1, average_tx_per_second: 1 },
        data: { users: 1, rows_per_user: 1, bytes_per_row: 1 },
        containers: { shapes: [{ cpu: 1, memory_mb: 10 }] },
        utilisation: { target: 1.5 },
        compaction: { window: 'nightly' },
        typo: true,
      });
    } catch (e) {
      error = e as ProfileError;
    }
    expect(error).toBeInstanceOf(ProfileError);
    const paths = error!.problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'writes.peak_tx_per_second',
        'containers.shapes.0.memory_mb',
        'utilisation.target',
        'compaction.window',
        '(root)',
      ]),
    );
    expect(error!.message).toMatch(/compaction.window: expected a duration/);
  });
});

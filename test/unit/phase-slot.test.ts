import { describe, expect, it } from 'vitest';
import { waitForPhaseSlot } from '../../src/scenario/distributed.js';
import type { RunState } from '../../src/scenario/run-state.js';
import type { Phase } from '../../src/scenario/types.js';

const phase = (name: string, durationMs: number, settleMs: number) =>
  ({ name, durationMs, settleMs, actions: [], thresholds: {} }) as unknown as Phase;

function runOf(phases: Phase[]): { run: RunState; lines: string[] } {
  const lines: string[] = [];
  const run = {
    scenario: { phases },
    stop: new AbortController().signal,
    dir: { line: (text: string) => lines.push(text) },
  } as unknown as RunState;
  return { run, lines };
}

describe('phase slots of a distributed run', () => {
  const phases = [phase('a', 10_000, 2000), phase('b', 10_000, 2000), phase('c', 3000, 1000)];

  it('a member on time waits for its slot and runs the phase as planned', async () => {
    const { run } = runOf(phases);
    const start = Date.now() - 10_000 + 60; // phase b's slot opens in 60 ms
    const slot = await waitForPhaseSlot(run, start, 1);
    expect(Date.now()).toBeGreaterThanOrEqual(start + 10_000 - 5);
    expect(slot).toMatchObject({ name: 'b', settleMs: 2000 });
    expect(slot.durationMs).toBeGreaterThan(10_000 - 50); // a timer's few ms late, no more
  });

  it('a late member runs only the rest of the slot, so it ends the phase with the others', async () => {
    const { run, lines } = runOf(phases);
    const start = Date.now() - 10_000 - 400; // phase b's slot opened 400 ms ago
    const slot = await waitForPhaseSlot(run, start, 1);
    const slotEnd = start + 20_000;
    expect(slot.name).toBe('b');
    expect(Math.abs(Date.now() + slot.durationMs - slotEnd)).toBeLessThan(50);
    expect(slot.durationMs).toBeLessThanOrEqual(9600);
    expect(slot.settleMs).toBe(2000);
    expect(lines).toEqual([]); // under a second late: not worth a line

    const late = await waitForPhaseSlot(runOf(phases).run, Date.now() - 20_000 - 2500, 2);
    expect(late.durationMs).toBeLessThanOrEqual(500);
    expect(late.settleMs).toBeLessThanOrEqual(late.durationMs / 2); // the settle window shrinks with it
  });
});

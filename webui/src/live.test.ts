import { describe, expect, it } from 'vitest';
import { applyDelta, View } from './live';

const base: View = {
  controller: 'ctl1',
  log_index: 5,
  active: true,
  state: { term: 2, settings: {}, pools: {}, nodes: { h1: { liveness: 'up' } }, rules: { gw1: { primary: 'h1' } },
           transitions: {}, arbiter_reachable: true },
  agents: { h1: { connected: true } },
};

describe('applyDelta', () => {
  it('sets and deletes single objects and leaves the old view alone', () => {
    const next = applyDelta(base, { log_index: 9, set: { 'rules/gw1': { primary: 'h2' }, 'top': { controller: 'ctl2', state: { term: 3 } } }, del: ['nodes/h1'] });
    expect(next.state.rules.gw1.primary).toBe('h2');
    expect(next.state.nodes.h1).toBeUndefined();
    expect(next.controller).toBe('ctl2');
    expect(next.state.term).toBe(3);
    expect(next.log_index).toBe(9);
    expect(base.state.rules.gw1.primary).toBe('h1');
    expect(base.state.nodes.h1).toBeDefined();
  });
});

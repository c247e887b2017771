// The live view of the cluster: one Server-Sent Events stream (GET /v1/stream). The
// first event is the whole view (the body of GET /v1/status); then deltas set or
// delete single objects ("rules/gw1", "nodes/h3", "agents/h3", "top"), and history
// rows arrive as the controller writes them. The browser reconnects by itself (after
// a controller failover the stream comes back through the controller VIP and starts
// with a fresh snapshot), so the page never polls.
import { useEffect, useRef, useState } from 'react';

export interface View {
  controller: string;
  log_index: number;
  active: boolean;
  state: {
    term: number;
    settings: Record<string, number>;
    pools: Record<string, any>;
    nodes: Record<string, any>;
    rules: Record<string, any>;
    transitions: Record<string, any>;
    arbiter_reachable: boolean;
    [k: string]: any;
  };
  agents: Record<string, any>;
  cluster?: any;
  capacity?: Record<string, { spare: number; services: number; ratio: number; min_ratio: number; low: boolean }>;
  unheard_by?: Record<string, string[]>;
}

export interface HistoryRow {
  id: number;
  time: string;
  kind: string;
  rule: string;
  node: string;
  outcome: string;
  duration_ms: number;
  detail: string;
  actor: string;
}

export function applyDelta(view: View, delta: { log_index: number; set: Record<string, any>; del: string[] }): View {
  const next: View = { ...view, state: { ...view.state }, agents: { ...view.agents }, log_index: delta.log_index };
  const touched = new Set<string>();
  const put = (key: string, value: any | undefined) => {
    if (key === 'top') {
      const { state, ...rest } = value;
      Object.assign(next, rest);
      next.state = { ...next.state, ...state };
      return;
    }
    const slash = key.indexOf('/');
    const kind = key.slice(0, slash);
    const id = key.slice(slash + 1);
    const table = kind === 'agents' ? next.agents : (next.state as any)[kind];
    if (!table) return;
    if (!touched.has(kind)) {
      touched.add(kind);
      if (kind === 'agents') next.agents = { ...next.agents };
      else (next.state as any)[kind] = { ...(next.state as any)[kind] };
    }
    const target = kind === 'agents' ? next.agents : (next.state as any)[kind];
    if (value === undefined) delete target[id];
    else target[id] = value;
  };
  for (const [k, v] of Object.entries(delta.set)) put(k, v);
  for (const k of delta.del) put(k, undefined);
  return next;
}

export interface Live {
  view: View | null;
  connected: boolean;
  history: HistoryRow[];  // rows seen on this stream, newest last (bounded)
  lastUpdate: number;     // performance.now() of the last event applied
}

const kMaxHistory = 500;

export function useLive(enabled: boolean, onEnd: () => void): Live {
  const [live, setLive] = useState<Live>({ view: null, connected: false, history: [], lastUpdate: 0 });
  const endRef = useRef(onEnd);
  endRef.current = onEnd;
  useEffect(() => {
    if (!enabled) return;
    const es = new EventSource('/v1/stream', { withCredentials: true });
    es.addEventListener('snapshot', (e) => {
      const view = JSON.parse((e as MessageEvent).data) as View;
      setLive((l) => ({ ...l, view, connected: true, lastUpdate: performance.now() }));
    });
    es.addEventListener('delta', (e) => {
      const delta = JSON.parse((e as MessageEvent).data);
      setLive((l) => (l.view ? { ...l, view: applyDelta(l.view, delta), lastUpdate: performance.now() } : l));
    });
    es.addEventListener('history', (e) => {
      const row = JSON.parse((e as MessageEvent).data) as HistoryRow;
      setLive((l) => {
        const others = l.history.filter((h) => h.id !== row.id);
        return { ...l, history: [...others, row].slice(-kMaxHistory) };
      });
    });
    es.addEventListener('end', () => {
      es.close();
      endRef.current();
    });
    es.onopen = () => setLive((l) => ({ ...l, connected: true }));
    es.onerror = () => setLive((l) => ({ ...l, connected: false }));
    return () => es.close();
  }, [enabled]);
  return live;
}

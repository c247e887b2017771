// The event timeline: what the controller did, with outcome and duration of every step,
// filtered by rule, node, kind and time; new rows arrive live.
import { useEffect, useMemo, useState } from 'react';
import { Card, DatePicker, Input, Space, Table, Tag } from 'antd';
import type { Dayjs } from 'dayjs';
import dayjs from 'dayjs';
import { get } from '../api';
import { fmtTime } from '../format';
import { useT } from '../i18n';
import { HistoryRow } from '../live';

export default function Events({ history }: { history: HistoryRow[] }) {
  const t = useT();
  const [rows, setRows] = useState<HistoryRow[]>([]);
  const [rule, setRule] = useState('');
  const [node, setNode] = useState('');
  const [kind, setKind] = useState('');
  const [range, setRange] = useState<[Dayjs | null, Dayjs | null] | null>(null);
  useEffect(() => {
    const qs = new URLSearchParams({ limit: '2000' });
    if (rule) qs.set('rule', rule);
    if (node) qs.set('node', node);
    get<{ events: HistoryRow[] }>('/v1/events?' + qs.toString()).then((r) => setRows(r.events)).catch(() => setRows([]));
  }, [rule, node]);
  const merged = useMemo(() => {
    const byId = new Map<number, HistoryRow>();
    for (const r of rows) byId.set(r.id, r);
    for (const r of history) byId.set(r.id, r);
    return [...byId.values()]
      .filter((r) => (!rule || r.rule === rule) && (!node || r.node === node) && (!kind || r.kind.includes(kind)))
      .filter((r) => !range || ((!range[0] || dayjs(r.time) >= range[0]) && (!range[1] || dayjs(r.time) <= range[1])))
      .sort((a, b) => b.id - a.id);
  }, [rows, history, rule, node, kind, range]);
  const color = (o: string) => (o === 'ok' ? 'green' : o === 'sent' || o === 'proposed' ? 'blue' : o === 'critical' || o === 'failed' || o === 'rejected' ? 'red' : 'default');
  return (
    <Card title={t('nav.events')}>
      <Space style={{ marginBottom: 12 }} wrap>
        <Input allowClear placeholder={t('ev.rule')} onChange={(e) => setRule(e.target.value.trim())} style={{ width: 140 }} />
        <Input allowClear placeholder={t('ev.node')} onChange={(e) => setNode(e.target.value.trim())} style={{ width: 140 }} />
        <Input allowClear placeholder={t('ev.kind')} onChange={(e) => setKind(e.target.value.trim())} style={{ width: 160 }} />
        <DatePicker.RangePicker showTime onChange={(v) => setRange(v as any)} />
      </Space>
      <Table rowKey="id" size="small" dataSource={merged} data-testid="events-table"
             pagination={{ pageSize: 50, showTotal: (n) => t('common.total', { n }) }}
             columns={[
               { title: t('ev.time'), dataIndex: 'time', render: (v: string) => fmtTime(v), width: 170 },
               { title: t('ev.kind'), dataIndex: 'kind' },
               { title: t('ev.rule'), dataIndex: 'rule' },
               { title: t('ev.node'), dataIndex: 'node' },
               { title: t('ev.outcome'), dataIndex: 'outcome', render: (o: string) => <Tag color={color(o)}>{o}</Tag> },
               { title: t('ev.duration'), dataIndex: 'duration_ms', render: (d: number) => (d ? d + ' ms' : '') },
               { title: t('ev.actor'), dataIndex: 'actor' },
               { title: t('ev.detail'), dataIndex: 'detail', ellipsis: true },
             ]} />
    </Card>
  );
}

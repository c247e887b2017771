// The audit administrator's page: the audit trail, filtered, paged back in time, and
// exported as CSV; the head of the hash chain every member agrees on.
import { useCallback, useEffect, useState } from 'react';
import { Button, Card, DatePicker, Input, Space, Table, Tag, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { get } from '../api';
import { fmtTime } from '../format';
import { useT } from '../i18n';

export default function Audit() {
  const t = useT();
  const [records, setRecords] = useState<any[]>([]);
  const [head, setHead] = useState<{ seq: number; hash: string } | null>(null);
  const [account, setAccount] = useState('');
  const [action, setAction] = useState('');
  const [range, setRange] = useState<[Dayjs | null, Dayjs | null] | null>(null);
  const load = useCallback(async (before = 0) => {
    const qs = new URLSearchParams({ limit: '200' });
    if (account) qs.set('account', account);
    if (action) qs.set('action', action);
    if (range?.[0]) qs.set('since', String(range[0].valueOf()));
    if (range?.[1]) qs.set('until', String(range[1].valueOf()));
    if (before) qs.set('before', String(before));
    const r = await get<{ records: any[]; head: any }>('/v1/audit?' + qs.toString());
    setHead(r.head);
    setRecords((old) => (before ? [...old, ...r.records] : r.records));
  }, [account, action, range]);
  useEffect(() => {
    load().catch(() => setRecords([]));
  }, [load]);
  const color = (r: string) => (r === 'ok' ? 'green' : r === 'denied' || r.startsWith('refused') || r.startsWith('failed') || r === 'locked' ? 'red' : 'default');
  return (
    <Card title={t('nav.audit')} data-testid="audit"
          extra={<Space>{head && <Typography.Text type="secondary" data-testid="audit-head">{t('audit.head', { seq: head.seq })} · {head.hash.slice(0, 16)}</Typography.Text>}
            <Button href="/v1/audit/export" data-testid="audit-export">{t('audit.export')}</Button></Space>}>
      <Space style={{ marginBottom: 12 }} wrap>
        <Input allowClear placeholder={t('audit.account')} onChange={(e) => setAccount(e.target.value.trim())} style={{ width: 140 }} />
        <Input allowClear placeholder={t('audit.action')} onChange={(e) => setAction(e.target.value.trim())} style={{ width: 160 }} />
        <DatePicker.RangePicker showTime onChange={(v) => setRange(v as any)} />
      </Space>
      <Table rowKey="seq" size="small" dataSource={records} data-testid="audit-table" pagination={{ pageSize: 50, showTotal: (n) => t('common.total', { n }) }}
             columns={[
               { title: t('audit.seq'), dataIndex: 'seq', width: 70 },
               { title: t('audit.time'), dataIndex: 'at_ms', render: (v: number) => fmtTime(v), width: 170 },
               { title: t('audit.account'), dataIndex: 'account' },
               { title: t('audit.roles'), dataIndex: 'roles' },
               { title: t('audit.source'), dataIndex: 'source' },
               { title: t('audit.action'), dataIndex: 'action' },
               { title: t('audit.target'), dataIndex: 'target' },
               { title: t('audit.result'), dataIndex: 'result', render: (r: string) => <Tag color={color(r)}>{r}</Tag> },
               { title: t('audit.reason'), dataIndex: 'reason' },
               { title: t('audit.ticket'), dataIndex: 'ticket' },
             ]} />
      {records.length > 0 && records[records.length - 1].seq > 1 && (
        <Button onClick={() => load(records[records.length - 1].seq)}>…</Button>
      )}
    </Card>
  );
}

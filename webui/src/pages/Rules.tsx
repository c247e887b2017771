// Rules: every rule's placement (primary, standby, phase) on the list itself, filters,
// search and paging for a thousand rules; the operations with a confirmation, a reason
// for the audit trail and the steps followed live; the spec as JSON to edit.
import { useMemo, useState } from 'react';
import { Alert, Badge, Button, Card, Dropdown, Form, Input, Modal, Select, Space, Steps, Table, Tag, Typography } from 'antd';
import { Me, api } from '../api';
import { errorText } from '../App';
import { fmtTime, phaseColor, vipsOf } from '../format';
import { Key, useT } from '../i18n';
import { HistoryRow, View } from '../live';
import { SpecEditor } from './SpecEditor';

type Op = 'switchover' | 'force' | 'failback' | 'freeze' | 'unfreeze' | 'resume' | 'group';
const DANGEROUS: Op[] = ['switchover', 'force', 'failback', 'group'];
const MOVES: Op[] = ['switchover', 'force', 'group'];

// The rules that switch with `rule` (its group: a group is one pool's), the rule itself
// when it has none.
function groupOf(view: View, rule: string): string[] {
  const spec = view.state.rules[rule]?.spec;
  if (!spec?.group) return [rule];
  return Object.entries(view.state.rules).filter(([, r]) => r.spec.group === spec.group && r.spec.pool === spec.pool)
    .map(([id]) => id).sort();
}

export function RulesTable({ view, compact, onOp, onEdit, me }: { view: View; compact?: boolean; onOp?: (id: string, op: Op) => void; onEdit?: (id: string) => void; me?: Me }) {
  const t = useT();
  const [q, setQ] = useState('');
  const [phase, setPhase] = useState<string>('');
  const [pool, setPool] = useState<string>('');
  const rows = useMemo(() => Object.entries(view.state.rules)
    .map(([id, r]) => ({ id, ...r }))
    .filter((r: any) => (!phase || r.phase === phase) && (!pool || r.spec.pool === pool) &&
      (!q || r.id.includes(q) || (r.primary ?? '').includes(q) || vipsOf(r).includes(q))), [view, q, phase, pool]);
  const can = (p: string) => !!me && me.permissions.includes(p);
  const columns: any[] = [
    { title: t('rule.id'), dataIndex: 'id', sorter: (a: any, b: any) => a.id.localeCompare(b.id), render: (id: string, r: any) => (
      <Space>{id}{r.frozen && <Tag>{t('rule.frozen')}</Tag>}{r.spec.group && <Tag color="blue">{r.spec.group}</Tag>}</Space>) },
    { title: t('rule.pool'), render: (_: any, r: any) => r.spec.pool },
    { title: t('rule.vips'), render: (_: any, r: any) => vipsOf(r) },
    { title: t('rule.primary'), dataIndex: 'primary', sorter: (a: any, b: any) => (a.primary ?? '').localeCompare(b.primary ?? ''),
      render: (p: string) => <span data-testid="rule-primary">{p || '-'}</span> },
    { title: t('rule.standby'), dataIndex: 'standby', render: (s: string) => s || <Tag color="orange">{t('common.none')}</Tag> },
    { title: t('rule.phase'), dataIndex: 'phase', render: (p: string) => <Badge status={phaseColor[p] as any} text={t(('phase.' + p) as Key)} /> },
  ];
  if (!compact) {
    columns.push({ title: t('rule.epoch'), dataIndex: 'epoch' });
    columns.push({ title: t('rule.error'), dataIndex: 'last_error', ellipsis: true });
    if (can('operate') || can('configure'))
      columns.push({ title: t('common.actions'), key: 'actions', render: (_: any, r: any) => {
        const items = [];
        if (can('operate')) {
          items.push({ key: 'switchover', label: t('op.switchover') }, { key: 'force', label: t('op.force') },
            { key: 'failback', label: t('op.failback') }, { key: r.frozen ? 'unfreeze' : 'freeze', label: t(r.frozen ? 'op.unfreeze' : 'op.freeze') });
          if (r.spec.group) items.push({ key: 'group', label: `${t('op.group')} (${r.spec.group})` });
          if (r.phase === 'admin-wait' || r.phase === 'blocked') items.push({ key: 'resume', label: t('op.resume') });
        }
        return (
          <Space>
            {can('operate') && <Button size="small" onClick={() => onOp?.(r.id, 'switchover')} data-testid={'switchover-' + r.id}>{t('op.switchover')}</Button>}
            {can('configure') && <Button size="small" type="link" onClick={() => onEdit?.(r.id)} data-testid={'edit-' + r.id}>{t('common.edit')}</Button>}
            {items.length > 0 && <Dropdown menu={{ items, onClick: (e) => onOp?.(r.id, e.key as Op) }}><Button size="small" type="link" data-testid={'more-' + r.id}>···</Button></Dropdown>}
          </Space>);
      } });
  }
  const pools = Object.keys(view.state.pools);
  return (
    <>
      <Space style={{ marginBottom: 12 }} wrap>
        <Input.Search allowClear placeholder={t('common.search')} onChange={(e) => setQ(e.target.value)} style={{ width: 220 }} data-testid="rules-search" />
        <Select value={phase} onChange={setPhase} style={{ width: 150 }} options={[{ value: '', label: t('common.all') },
          ...['running', 'switching', 'blocked', 'admin-wait', 'unplaced'].map((p) => ({ value: p, label: t(('phase.' + p) as Key) }))]} />
        <Select value={pool} onChange={setPool} style={{ width: 150 }} options={[{ value: '', label: t('common.all') }, ...pools.map((p) => ({ value: p, label: p }))]} />
      </Space>
      <Table rowKey="id" size="small" dataSource={rows} columns={columns} data-testid="rules-table"
             pagination={{ pageSize: compact ? 10 : 50, showTotal: (n) => t('common.total', { n }), showSizeChanger: true }} />
    </>
  );
}

export default function Rules({ view, history, me }: { view: View | null; history: HistoryRow[]; me: Me }) {
  const t = useT();
  const [op, setOp] = useState<{ id: string; op: Op } | null>(null);
  const [edit, setEdit] = useState<string | null | undefined>(undefined);  // null: a new rule
  if (!view) return <Card loading />;
  return (
    <Card title={t('nav.rules')} extra={me.permissions.includes('configure') &&
      <Button type="primary" onClick={() => setEdit(null)} data-testid="rule-new">{t('common.create')}</Button>}>
      <RulesTable view={view} me={me} onOp={(id, o) => setOp({ id, op: o })} onEdit={setEdit} />
      {op && <OperationModal key={op.id + op.op} rule={op.id} op={op.op} view={view} history={history} onClose={() => setOp(null)} />}
      {edit !== undefined && <SpecEditor kind="rules" id={edit ?? undefined} spec={edit ? view.state.rules[edit]?.spec : undefined} view={view} onClose={() => setEdit(undefined)} />}
    </Card>
  );
}

// The confirmation, then the operation's steps as the controller reports them.
function OperationModal({ rule, op, view, history, onClose }: { rule: string; op: Op; view: View; history: HistoryRow[]; onClose: () => void }) {
  const t = useT();
  const [form] = Form.useForm();
  const r = view.state.rules[rule];
  const [sent, setSent] = useState<{ afterId: number; from: string; target: string } | null>(null);
  const members = groupOf(view, rule);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const title = t('op.confirmTitle', { op: t(('op.' + op) as Key), id: rule });
  const candidates = Object.entries(view.state.nodes)
    .filter(([id, n]: [string, any]) => n.spec.pool === r?.spec.pool && id !== r?.primary && n.liveness === 'up' && !n.maintenance)
    .map(([id]) => ({ value: id, label: id }));
  const target = Form.useWatch('target', form);
  const submit = async (v: { target?: string; reason: string; ticket?: string }) => {
    setBusy(true);
    setError('');
    const afterId = history.reduce((m, h) => Math.max(m, h.id), 0);
    try {
      const opts = { reason: v.reason, ticket: v.ticket };
      if (op === 'group') {
        await api('POST', `/v1/groups/${encodeURIComponent(r.spec.group)}/switchover`, { pool: r.spec.pool, ...(v.target ? { target: v.target } : {}) }, opts);
      } else if (op === 'switchover' || op === 'force') {
        await api('POST', `/v1/rules/${encodeURIComponent(rule)}/switchover`, { ...(v.target ? { target: v.target } : {}), ...(op === 'force' ? { forced: true } : {}) }, opts);
      } else if (op === 'freeze' || op === 'unfreeze') {
        await api('POST', `/v1/rules/${encodeURIComponent(rule)}/freeze`, { on: op === 'freeze' }, opts);
      } else {
        await api('POST', `/v1/rules/${encodeURIComponent(rule)}/${op}`, {}, opts);
      }
      setSent({ afterId, from: r?.primary ?? '', target: v.target ?? '' });
    } catch (e) {
      setError(errorText(e, t));
    } finally {
      setBusy(false);
    }
  };
  const steps = history.filter((h) => sent && h.id > sent.afterId && members.includes(h.rule));
  const done = sent && r && r.phase === 'running' && (op === 'freeze' || op === 'unfreeze' || op === 'resume' ||
    (sent.target ? r.primary === sent.target : r.primary !== sent.from));
  return (
    <Modal open title={title} onCancel={onClose} footer={sent ? [<Button key="close" onClick={onClose} data-testid="op-close">{t('common.confirm')}</Button>] : undefined}
           okText={t('common.confirm')} cancelText={t('common.cancel')} okButtonProps={{ danger: op === 'force', loading: busy, 'data-testid': 'op-ok' } as any}
           onOk={() => form.submit()} width={620} destroyOnHidden>
      {!sent && (
        <Form form={form} layout="vertical" onFinish={submit} data-testid="op-form">
          {op === 'group' && <Alert type="info" showIcon style={{ marginBottom: 12 }} message={t('op.groupOf', { group: r?.spec.group, rules: members.join(', ') })} />}
          {MOVES.includes(op) && (
            <Form.Item name="target" label={t('op.target')}>
              <Select allowClear placeholder={t('op.targetAuto')} options={candidates} data-testid="op-target" />
            </Form.Item>
          )}
          {MOVES.includes(op) && r && (
            <Alert type={op === 'force' ? 'warning' : 'info'} showIcon style={{ marginBottom: 12 }}
                   message={t('op.impact', { id: rule, vips: vipsOf(r), from: r.primary || '-', to: target || t('op.targetAuto') })} />
          )}
          <Form.Item name="reason" label={t('op.reason')} rules={[{ required: true, message: t('op.reasonRequired') }]}>
            <Input.TextArea rows={2} maxLength={500} data-testid="op-reason" />
          </Form.Item>
          <Form.Item name="ticket" label={t('op.ticket')}>
            <Input maxLength={100} data-testid="op-ticket" />
          </Form.Item>
          {DANGEROUS.includes(op) && (
            <Form.Item name="confirm" label={t('op.typeToConfirm', { id: rule })}
                       rules={[{ validator: (_, v) => (v === rule ? Promise.resolve() : Promise.reject(new Error(t('op.typeToConfirm', { id: rule })))) }]}>
              <Input data-testid="op-confirm" />
            </Form.Item>
          )}
          {error && <Alert type="error" showIcon message={error} data-testid="op-error" />}
        </Form>
      )}
      {sent && (
        <div data-testid="op-progress">
          <Typography.Title level={5}>{t('op.progress')}</Typography.Title>
          <Steps direction="vertical" size="small" current={steps.length}
                 items={[{ title: t('op.sent'), status: 'finish' },
                   ...steps.map((h) => ({ title: members.length > 1 ? `${h.kind} ${h.rule} → ${h.node}` : `${h.kind} ${h.node}`, description: `${h.outcome}${h.duration_ms ? ' · ' + h.duration_ms + ' ms' : ''} · ${fmtTime(h.time)}`,
                     status: (h.outcome === 'ok' ? 'finish' : h.outcome === 'sent' ? 'process' : 'error') as any })),
                   ...(done ? [{ title: t('op.finished', { id: rule, node: r?.primary ?? '' }), status: 'finish' as const }] : [])]} />
          {done && <Alert type="success" showIcon message={t('op.finished', { id: rule, node: r?.primary ?? '' })} data-testid="op-done" />}
        </div>
      )}
    </Modal>
  );
}

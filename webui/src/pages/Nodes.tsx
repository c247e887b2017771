// Nodes: liveness, health, maintenance, agent version and OS, held VIPs, what runs
// there; maintenance on/off (operators) and enrolment tokens (system administrators).
import { useMemo, useState } from 'react';
import { Alert, App, Badge, Button, Card, Form, Input, Modal, Space, Table, Tag, Typography } from 'antd';
import { Me, api } from '../api';
import { errorText } from '../App';
import { livenessColor } from '../format';
import { Key, useT } from '../i18n';
import { View } from '../live';
import { SpecEditor } from './SpecEditor';

export default function Nodes({ view, me }: { view: View | null; me: Me }) {
  const t = useT();
  const { message, modal } = App.useApp();
  const [q, setQ] = useState('');
  const [edit, setEdit] = useState<string | null | undefined>(undefined);  // null: a new node
  const [token, setToken] = useState<{ node: string; token: string; ttl: number } | null>(null);
  const can = (p: string) => me.permissions.includes(p);
  const rows = useMemo(() => {
    if (!view) return [];
    const runs: Record<string, string[]> = {};
    for (const [id, r] of Object.entries(view.state.rules)) if (r.primary) (runs[r.primary] ??= []).push(id);
    return Object.entries(view.state.nodes).map(([id, n]) => ({ id, ...n, agent: view.agents[id], runs: runs[id] ?? [] }))
      .filter((n: any) => !q || n.id.includes(q) || n.spec.pool.includes(q));
  }, [view, q]);
  if (!view) return <Card loading />;
  const maintenance = (id: string, on: boolean) => {
    let reason = '';
    modal.confirm({
      title: t(on ? 'op.maintenance.on' : 'op.maintenance.off') + ': ' + id,
      content: <Input.TextArea placeholder={t('op.reason')} onChange={(e) => (reason = e.target.value)} data-testid="maint-reason" />,
      onOk: async () => {
        if (!reason.trim()) {
          message.error(t('op.reasonRequired'));
          throw new Error('reason');
        }
        try {
          await api('POST', `/v1/nodes/${encodeURIComponent(id)}/maintenance`, { on }, { reason });
          message.success(t('common.done'));
        } catch (e) {
          message.error(errorText(e, t));
        }
      },
    });
  };
  const mint = async (v: { node: string }) => {
    try {
      const r = await api<{ token: string; ttl_s: number }>('POST', '/v1/tokens', { node: v.node });
      setToken({ node: v.node, token: r.token, ttl: r.ttl_s });
    } catch (e) {
      message.error(errorText(e, t));
    }
  };
  return (
    <Card title={t('nav.nodes')} extra={<Space>
      {can('tokens') && (
        <Form layout="inline" onFinish={mint}><Form.Item name="node" rules={[{ required: true }]}><Input placeholder={t('node.id')} data-testid="token-node" /></Form.Item>
          <Button htmlType="submit" data-testid="token-create">{t('node.token')}</Button></Form>)}
      {can('configure') && <Button type="primary" onClick={() => setEdit(null)} data-testid="node-new">{t('common.create')}</Button>}
    </Space>}>
      <Input.Search allowClear placeholder={t('common.search')} onChange={(e) => setQ(e.target.value)} style={{ width: 220, marginBottom: 12 }} />
      <Table rowKey="id" size="small" dataSource={rows} data-testid="nodes-table"
             pagination={{ pageSize: 50, showTotal: (n) => t('common.total', { n }), showSizeChanger: true }}
             columns={[
               { title: t('node.id'), dataIndex: 'id', sorter: (a: any, b: any) => a.id.localeCompare(b.id) },
               { title: t('rule.pool'), render: (_: any, n: any) => n.spec.pool },
               { title: t('node.liveness'), dataIndex: 'liveness', render: (l: string) => <Badge status={livenessColor[l] as any} text={t(('live.' + l) as Key)} /> },
               { title: t('node.health'), dataIndex: 'healthy', render: (h: boolean) => (h ? <Tag color="green">OK</Tag> : <Tag color="red">✗</Tag>) },
               { title: t('node.maintenance'), dataIndex: 'maintenance', render: (m: boolean) => (m ? <Tag color="orange">{t('node.maintenance')}</Tag> : '') },
               { title: t('node.agent'), render: (_: any, n: any) => (n.agent?.connected ? <Badge status="success" text={n.agent.version} /> : <Badge status="default" text="-" />) },
               { title: t('node.os'), render: (_: any, n: any) => n.spec.os },
               { title: t('node.vips'), render: (_: any, n: any) => (n.held_vips ?? []).join(', ') },
               { title: t('node.runs'), render: (_: any, n: any) => n.runs.join(', ') },
               ...(can('operate') || can('configure') ? [{ title: t('common.actions'), render: (_: any, n: any) => (
                 <Space>
                   {can('operate') && <Button size="small" onClick={() => maintenance(n.id, !n.maintenance)} data-testid={'maint-' + n.id}>
                     {t(n.maintenance ? 'op.maintenance.off' : 'op.maintenance.on')}</Button>}
                   {can('configure') && <Button size="small" type="link" onClick={() => setEdit(n.id)}>{t('common.edit')}</Button>}
                 </Space>) }] : []),
             ]} />
      {edit !== undefined && <SpecEditor kind="nodes" id={edit ?? undefined} spec={edit ? view.state.nodes[edit]?.spec : undefined} view={view} onClose={() => setEdit(undefined)} />}
      {token && (
        <Modal open onCancel={() => setToken(null)} onOk={() => setToken(null)} title={t('node.tokenDone', { node: token.node, ttl: token.ttl })}>
          <Alert type="info" message={<Typography.Text copyable code>{token.token}</Typography.Text>} />
        </Modal>
      )}
    </Card>
  );
}

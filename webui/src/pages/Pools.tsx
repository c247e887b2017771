// Pools: nodes, services, spare capacity and takeover ratio against the pool's minimum.
import { Button, Card, Progress, Table, Tag } from 'antd';
import { useState } from 'react';
import { Me } from '../api';
import { useT } from '../i18n';
import { View } from '../live';
import { SpecEditor } from './SpecEditor';

export default function Pools({ view, me }: { view: View | null; me: Me }) {
  const t = useT();
  const [edit, setEdit] = useState<string | null | undefined>(undefined);  // null: a new pool
  const can = me.permissions.includes('configure');
  if (!view) return <Card loading />;
  const nodes = Object.values(view.state.nodes);
  const rows = Object.entries(view.state.pools).map(([id, p]) => ({ id, ...p, ...(view.capacity?.[id] ?? {}),
    nodes: nodes.filter((n: any) => n.spec.pool === id).length }));
  return (
    <Card title={t('nav.pools')} extra={can && <Button type="primary" onClick={() => setEdit(null)} data-testid="pool-new">{t('common.create')}</Button>}>
      <Table rowKey="id" size="small" dataSource={rows} pagination={false} data-testid="pools-table"
             columns={[
               { title: t('pool.id'), dataIndex: 'id', render: (id: string) => (can ? <a onClick={() => setEdit(id)}>{id}</a> : id) },
               { title: t('pool.nodes'), dataIndex: 'nodes' },
               { title: t('pool.services'), dataIndex: 'services' },
               { title: t('pool.spare'), dataIndex: 'spare' },
               { title: t('pool.ratio'), render: (_: any, p: any) => <Progress percent={Math.round((p.ratio ?? 0) * 100)} size="small" status={p.low ? 'exception' : 'normal'} style={{ width: 160 }} /> },
               { title: t('pool.min'), render: (_: any, p: any) => Math.round((p.spec?.min_takeover_ratio ?? 0) * 100) + '%' },
               { title: '', render: (_: any, p: any) => (<>{p.low && <Tag color="red">{t('pool.low')}</Tag>}{p.spec?.frozen && <Tag>{t('pool.frozen')}</Tag>}</>) },
             ]} />
      {edit !== undefined && <SpecEditor kind="pools" id={edit ?? undefined} spec={edit ? view.state.pools[edit]?.spec : undefined} view={view} onClose={() => setEdit(undefined)} />}
    </Card>
  );
}

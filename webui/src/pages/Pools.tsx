import { Card, Progress, Table, Tag } from 'antd';
import { useState } from 'react';
import { useT } from '../i18n';
import { View } from '../live';
import { SpecDrawer } from './Rules';

export default function Pools({ view }: { view: View | null }) {
  const t = useT();
  const [edit, setEdit] = useState<string | null>(null);
  if (!view) return <Card loading />;
  const nodes = Object.values(view.state.nodes);
  const rows = Object.entries(view.state.pools).map(([id, p]) => ({ id, ...p, ...(view.capacity?.[id] ?? {}),
    nodes: nodes.filter((n: any) => n.spec.pool === id).length }));
  return (
    <Card title={t('nav.pools')}>
      <Table rowKey="id" size="small" dataSource={rows} pagination={false} data-testid="pools-table"
             columns={[
               { title: t('pool.id'), dataIndex: 'id', render: (id: string) => <a onClick={() => setEdit(id)}>{id}</a> },
               { title: t('pool.nodes'), dataIndex: 'nodes' },
               { title: t('pool.services'), dataIndex: 'services' },
               { title: t('pool.spare'), dataIndex: 'spare' },
               { title: t('pool.ratio'), render: (_: any, p: any) => <Progress percent={Math.round((p.ratio ?? 0) * 100)} size="small" status={p.low ? 'exception' : 'normal'} style={{ width: 160 }} /> },
               { title: t('pool.min'), render: (_: any, p: any) => Math.round((p.spec?.min_takeover_ratio ?? 0) * 100) + '%' },
               { title: '', render: (_: any, p: any) => (<>{p.low && <Tag color="red">{t('pool.low')}</Tag>}{p.spec?.frozen && <Tag>{t('pool.frozen')}</Tag>}</>) },
             ]} />
      {edit && <SpecDrawer kind="pools" id={edit} spec={view.state.pools[edit]?.spec} onClose={() => setEdit(null)} />}
    </Card>
  );
}

// What an operator looks at first: counts of rules by phase and of nodes by state, each
// pool's spare capacity and takeover ratio, and every rule's placement.
import { Card, Col, Progress, Row, Skeleton, Statistic, Table, Tag } from 'antd';
import { useT } from '../i18n';
import { View } from '../live';
import { RulesTable } from './Rules';

export default function Dashboard({ view }: { view: View | null }) {
  const t = useT();
  if (!view) return <Skeleton active />;
  const rules = Object.values(view.state.rules);
  const nodes = Object.values(view.state.nodes);
  const count = (f: (x: any) => boolean, xs: any[]) => xs.filter(f).length;
  const pools = Object.entries(view.state.pools).map(([id, p]) => ({ id, ...p, ...(view.capacity?.[id] ?? {}),
    nodes: count((n) => n.spec.pool === id, nodes) }));
  return (
    <div data-testid="dashboard">
      <Row gutter={[16, 16]}>
        <Col xs={12} md={6}><Card><Statistic title={t('dash.running')} value={count((r) => r.phase === 'running', rules)} suffix={'/ ' + rules.length} valueStyle={{ color: '#389e0d' }} data-testid="stat-running" /></Card></Col>
        <Col xs={12} md={6}><Card><Statistic title={t('dash.switching')} value={count((r) => r.phase === 'switching', rules)} valueStyle={{ color: '#1677ff' }} data-testid="stat-switching" /></Card></Col>
        <Col xs={12} md={6}><Card><Statistic title={t('dash.blocked')} value={count((r) => r.phase === 'blocked' || r.phase === 'admin-wait', rules)} valueStyle={{ color: '#cf1322' }} data-testid="stat-blocked" /></Card></Col>
        <Col xs={12} md={6}><Card><Statistic title={t('dash.unprotected')} value={count((r) => r.phase === 'running' && !r.standby, rules)} valueStyle={{ color: '#d46b08' }} data-testid="stat-unprotected" /></Card></Col>
        <Col xs={8} md={4}><Card size="small"><Statistic title={t('dash.up')} value={count((n) => n.liveness === 'up' && !n.maintenance, nodes)} suffix={'/ ' + nodes.length} /></Card></Col>
        <Col xs={8} md={4}><Card size="small"><Statistic title={t('dash.down')} value={count((n) => n.liveness !== 'up', nodes)} /></Card></Col>
        <Col xs={8} md={4}><Card size="small"><Statistic title={t('dash.maintenance')} value={count((n) => n.maintenance, nodes)} /></Card></Col>
      </Row>
      <Card title={t('dash.pools')} style={{ marginTop: 16 }} size="small">
        <Table rowKey="id" size="small" pagination={false} dataSource={pools} data-testid="pools"
               columns={[
                 { title: t('pool.id'), dataIndex: 'id' },
                 { title: t('pool.nodes'), dataIndex: 'nodes' },
                 { title: t('pool.services'), dataIndex: 'services' },
                 { title: t('pool.spare'), dataIndex: 'spare' },
                 { title: t('pool.ratio'), render: (_, p: any) => (
                   <Progress percent={Math.round((p.ratio ?? 0) * 100)} size="small" status={p.low ? 'exception' : 'normal'} style={{ width: 160 }} />) },
                 { title: t('pool.min'), render: (_, p: any) => Math.round((p.min_ratio ?? p.spec?.min_takeover_ratio ?? 0) * 100) + '%' },
                 { title: '', render: (_, p: any) => (<>{p.low && <Tag color="red">{t('pool.low')}</Tag>}{p.spec?.frozen && <Tag>{t('pool.frozen')}</Tag>}</>) },
               ]} />
      </Card>
      <Card title={t('dash.rules')} style={{ marginTop: 16 }} size="small">
        <RulesTable view={view} compact />
      </Card>
    </div>
  );
}

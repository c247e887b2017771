// Which rule runs on which node, who stands by for it, and the free spares, per pool.
import { Badge, Card, Col, Empty, Row, Space, Tag, Typography } from 'antd';
import { livenessColor } from '../format';
import { useT } from '../i18n';
import { View } from '../live';

export default function Topology({ view }: { view: View | null }) {
  const t = useT();
  if (!view) return <Card loading />;
  const pools = Object.keys(view.state.pools);
  if (pools.length === 0) return <Empty />;
  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid="topology">
      {pools.map((pool) => {
        const nodes = Object.entries(view.state.nodes).filter(([, n]: [string, any]) => n.spec.pool === pool);
        const rules = Object.entries(view.state.rules).filter(([, r]: [string, any]) => r.spec.pool === pool);
        return (
          <Card key={pool} title={pool} size="small">
            <Row gutter={[12, 12]}>
              {nodes.map(([id, n]: [string, any]) => {
                const primaries = rules.filter(([, r]: [string, any]) => r.primary === id).map(([rid]) => rid);
                const standbys = rules.filter(([, r]: [string, any]) => r.standby === id).map(([rid]) => rid);
                return (
                  <Col key={id} xs={12} md={6} xl={4}>
                    <Card size="small" data-testid={'topo-node-' + id}
                          title={<Badge status={livenessColor[n.liveness] as any} text={id} />}
                          style={{ borderColor: primaries.length ? '#1677ff' : undefined }}>
                      {primaries.map((r) => <Tag color="blue" key={r} data-testid={'topo-runs-' + r}>{r}</Tag>)}
                      {standbys.length > 0 && <Typography.Text type="secondary">{t('topo.standbyFor', { rules: standbys.join(', ') })}</Typography.Text>}
                      {!primaries.length && !standbys.length && <Tag>{t('topo.spare')}</Tag>}
                      {n.maintenance && <Tag color="orange">{t('node.maintenance')}</Tag>}
                    </Card>
                  </Col>
                );
              })}
            </Row>
          </Card>
        );
      })}
    </Space>
  );
}

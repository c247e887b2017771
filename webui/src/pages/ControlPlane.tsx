// The control plane: members, leader, term, quorum, replication, nodes some member does
// not hear; leadership transfer for the system administrator.
import { App, Badge, Button, Card, Descriptions, Popconfirm, Table, Tag } from 'antd';
import { Me, api } from '../api';
import { errorText } from '../App';
import { useT } from '../i18n';
import { View } from '../live';

export default function ControlPlane({ view, me }: { view: View | null; me: Me }) {
  const t = useT();
  const { message } = App.useApp();
  if (!view) return <Card loading />;
  const c = view.cluster ?? {};
  const transfer = async (to: string) => {
    try {
      await api('POST', '/v1/cluster/transfer', { to });
      message.success(t('common.done'));
    } catch (e) {
      message.error(errorText(e, t));
    }
  };
  const unheard = Object.entries(view.unheard_by ?? {});
  return (
    <Card title={t('nav.cluster')} data-testid="cluster">
      <Descriptions size="small" column={4} bordered>
        <Descriptions.Item label={t('cp.leader')}>{c.leader || '-'}</Descriptions.Item>
        <Descriptions.Item label={t('cp.term')}>{c.term}</Descriptions.Item>
        <Descriptions.Item label={t('cp.quorum')}>{c.quorum ? <Badge status="success" text={t('common.yes')} /> : <Badge status="error" text={t('common.no')} />}</Descriptions.Item>
        <Descriptions.Item label={t('cp.commit')}>{c.commit_index}</Descriptions.Item>
      </Descriptions>
      <Table rowKey="id" size="small" style={{ marginTop: 16 }} pagination={false} dataSource={c.members ?? []}
             columns={[
               { title: t('cp.member'), dataIndex: 'id', render: (id: string) => (<>{id} {id === c.leader && <Tag color="blue">{t('cp.leader')}</Tag>}</>) },
               { title: t('cp.role'), dataIndex: 'role' },
               { title: t('cp.voter'), dataIndex: 'voter', render: (v: boolean) => (v ? t('common.yes') : t('common.no')) },
               { title: t('cp.link'), dataIndex: 'link_up', render: (v?: boolean) => (v === undefined ? '-' : <Badge status={v ? 'success' : 'error'} />) },
               { title: t('cp.match'), dataIndex: 'match_index' },
               { title: t('cp.unheard'), dataIndex: 'unheard_nodes' },
               ...(me.permissions.includes('members') ? [{ title: t('common.actions'), render: (_: any, m: any) => (
                 m.role === 'controller' && m.id !== c.leader ? (
                   <Popconfirm title={t('cp.transfer') + ' → ' + m.id} onConfirm={() => transfer(m.id)}>
                     <Button size="small">{t('cp.transfer')}</Button>
                   </Popconfirm>) : null) }] : []),
             ]} />
      {unheard.length > 0 && (
        <Card size="small" title={t('cp.unheard')} style={{ marginTop: 16 }}>
          {unheard.map(([node, by]) => <div key={node}>{node}: {(by as string[]).join(', ')}</div>)}
        </Card>
      )}
    </Card>
  );
}

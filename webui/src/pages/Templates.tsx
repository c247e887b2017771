// Rule templates (高可用模板), stored on the controller: what each sets, which rules were
// made from it; create, edit and delete (a template a rule still names cannot go).
import { useState } from 'react';
import { Button, Card, Space, Table, Tag, Typography } from 'antd';
import { Me } from '../api';
import { useT } from '../i18n';
import { View } from '../live';
import { SpecEditor } from './SpecEditor';

export default function Templates({ view, me }: { view: View | null; me: Me }) {
  const t = useT();
  const [edit, setEdit] = useState<string | null | undefined>(undefined);  // null: a new one
  if (!view) return <Card loading />;
  const can = me.permissions.includes('configure');
  const users: Record<string, string[]> = {};
  for (const [rid, r] of Object.entries(view.state.rules)) if (r.spec.from_template) (users[r.spec.from_template] ??= []).push(rid);
  const rows = Object.values(view.state.templates ?? {}).map((tm: any) => ({ ...tm, used: users[tm.id] ?? [] }));
  return (
    <Card title={t('nav.templates')} extra={can && <Button type="primary" onClick={() => setEdit(null)} data-testid="template-new">{t('common.create')}</Button>}>
      <Table rowKey="id" size="small" dataSource={rows} pagination={{ pageSize: 50 }} data-testid="templates-table"
             columns={[
               { title: t('tmpl.id'), dataIndex: 'id', render: (id: string) => (can ? <a onClick={() => setEdit(id)} data-testid={'template-' + id}>{id}</a> : id) },
               { title: t('field.description'), dataIndex: 'description' },
               { title: t('tmpl.fields'), render: (_: any, tm: any) => {
                 const { id: _i, description: _d, used: _u, ...fields } = tm;
                 return <Typography.Text code style={{ fontSize: 12 }}>{JSON.stringify(fields)}</Typography.Text>;
               } },
               { title: t('tmpl.usedBy'), render: (_: any, tm: any) => (
                 <Space wrap>{tm.used.slice(0, 10).map((r: string) => <Tag key={r}>{r}</Tag>)}{tm.used.length > 10 && `+${tm.used.length - 10}`}</Space>) },
             ]} />
      {edit !== undefined && (
        <SpecEditor kind="templates" id={edit ?? undefined} spec={edit ? view.state.templates?.[edit] : undefined} view={view} onClose={() => setEdit(undefined)} />
      )}
    </Card>
  );
}

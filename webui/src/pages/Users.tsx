// The security administrator's page: accounts and their roles (one administrator role
// per account at most: the server refuses more), one-time passwords, unlocking, the
// password and sign-in policy, and the sessions signed in now.
import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Card, Checkbox, Form, Input, InputNumber, Modal, Popconfirm, Space, Table, Tabs, Tag, Typography } from 'antd';
import { ApiError, Me, api, get } from '../api';
import { errorText } from '../App';
import { fmtTime } from '../format';
import { Key, useT } from '../i18n';

const ROLES = ['sysadmin', 'secadmin', 'auditadmin', 'operator', 'viewer'];
const POLICY_FIELDS = ['min_length', 'min_classes', 'expiry_days', 'lockout_failures', 'lockout_minutes',
  'idle_timeout_minutes', 'session_hours', 'source_failures', 'source_window_minutes'];

export default function Users({ me }: { me: Me }) {
  const t = useT();
  const { message } = App.useApp();
  const [accounts, setAccounts] = useState<any[]>([]);
  const [sessions, setSessions] = useState<any[]>([]);
  const [policyForm] = Form.useForm();
  const [editing, setEditing] = useState<any | null>(null);
  const [otp, setOtp] = useState<{ name: string; pw: string } | null>(null);
  const load = useCallback(async () => {
    try {
      setAccounts((await get<{ accounts: any[] }>('/v1/users')).accounts);
      setSessions((await get<{ sessions: any[] }>('/v1/sessions')).sessions);
      policyForm.setFieldsValue(await get('/v1/policy'));
    } catch (e) {
      message.error(errorText(e, t));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  useEffect(() => {
    load();
  }, [load]);
  const act = async (fn: () => Promise<any>) => {
    try {
      const r = await fn();
      if (r?.one_time_password) setOtp({ name: r.name, pw: r.one_time_password });
      else message.success(t('common.done'));
    } catch (e) {
      message.error(errorText(e, t));
    }
    load();
  };
  const state = (a: any) => (a.disabled ? t('state.disabled') : a.locked_until_ms ? t('state.locked') : a.must_change ? t('state.otp')
    : a.password_expired ? t('state.expired') : !a.has_password ? t('users.certOnly') : t('state.active'));
  return (
    <Card title={t('nav.users')} data-testid="users">
      <Tabs items={[
        { key: 'accounts', label: t('users.accounts'), children: (
          <>
            <Button type="primary" style={{ marginBottom: 12 }} onClick={() => setEditing({ create: true, roles: [] })} data-testid="user-add">{t('users.add')}</Button>
            <Table rowKey="name" size="small" dataSource={accounts} pagination={false} data-testid="users-table"
                   columns={[
                     { title: t('users.name'), dataIndex: 'name' },
                     { title: t('users.display'), dataIndex: 'display_name' },
                     { title: t('users.roles'), dataIndex: 'roles', render: (rs: string[]) => rs.map((r) => <Tag key={r}>{t(('role.' + r) as Key)}</Tag>) },
                     { title: t('users.state'), render: (_: any, a: any) => state(a) },
                     { title: t('users.lastLogin'), dataIndex: 'last_login_ms', render: (v: number) => fmtTime(v) },
                     { title: t('users.from'), dataIndex: 'last_login_from' },
                     { title: t('users.sessions'), dataIndex: 'sessions' },
                     { title: t('common.actions'), render: (_: any, a: any) => (
                       <Space wrap>
                         <Button size="small" onClick={() => setEditing({ ...a })} data-testid={'user-edit-' + a.name}>{t('common.edit')}</Button>
                         <Button size="small" onClick={() => act(() => api('POST', `/v1/users/${a.name}/reset-password`, {}))}>{t('users.reset')}</Button>
                         {a.locked_until_ms > 0 && <Button size="small" onClick={() => act(() => api('POST', `/v1/users/${a.name}/unlock`, {}))} data-testid={'user-unlock-' + a.name}>{t('users.unlock')}</Button>}
                         <Button size="small" onClick={() => act(() => api('PUT', `/v1/users/${a.name}`, { roles: a.roles, display_name: a.display_name, disabled: !a.disabled }))}>
                           {a.disabled ? t('users.enable') : t('users.disable')}</Button>
                         {a.name !== me.account && (
                           <Popconfirm title={t('common.delete') + ' ' + a.name} onConfirm={() => act(() => api('DELETE', `/v1/users/${a.name}`))}>
                             <Button size="small" danger>{t('common.delete')}</Button>
                           </Popconfirm>)}
                       </Space>) },
                   ]} />
          </>) },
        { key: 'policy', label: t('users.policy'), children: (
          <Form form={policyForm} layout="vertical" style={{ maxWidth: 420 }} data-testid="policy-form"
                onFinish={(v) => act(() => api('PUT', '/v1/policy', v))}>
            {POLICY_FIELDS.map((f) => (
              <Form.Item key={f} name={f} label={t(('policy.' + f) as Key)}><InputNumber min={0} style={{ width: 200 }} /></Form.Item>))}
            <Button type="primary" htmlType="submit">{t('common.save')}</Button>
          </Form>) },
        { key: 'sessions', label: t('users.sessionList'), children: (
          <>
            <Popconfirm title={t('users.rotate')} onConfirm={() => act(() => api('POST', '/v1/sessions/rotate-key', {}))}>
              <Button danger style={{ marginBottom: 12 }}>{t('users.rotate')}</Button>
            </Popconfirm>
            <Table rowKey="id" size="small" dataSource={sessions} pagination={false}
                   columns={[
                     { title: 'ID', dataIndex: 'id', render: (id: string, s: any) => (<>{id}{s.current && <Tag color="blue">✓</Tag>}</>) },
                     { title: t('users.name'), dataIndex: 'account' },
                     { title: t('users.from'), dataIndex: 'source' },
                     { title: t('users.lastLogin'), dataIndex: 'created_ms', render: (v: number) => fmtTime(v) },
                     { title: 'idle s', dataIndex: 'idle_s' },
                     { title: t('common.actions'), render: (_: any, s: any) => !s.current && (
                       <Button size="small" onClick={() => act(() => api('DELETE', `/v1/sessions/${s.id}`))}>{t('users.endSession')}</Button>) },
                   ]} />
          </>) },
      ]} />
      {editing && <AccountModal account={editing} onClose={() => setEditing(null)}
                                onSaved={(r) => { setEditing(null); if (r?.one_time_password) setOtp({ name: r.name, pw: r.one_time_password }); else message.success(t('common.done')); load(); }} />}
      {otp && (
        <Modal open title={otp.name} onOk={() => setOtp(null)} onCancel={() => setOtp(null)}>
          <Alert type="warning" showIcon message={<span data-testid="otp">{t('users.otp', { pw: '' })}<Typography.Text code copyable>{otp.pw}</Typography.Text></span>} />
        </Modal>
      )}
    </Card>
  );
}

function AccountModal({ account, onClose, onSaved }: { account: any; onClose: () => void; onSaved: (r: any) => void }) {
  const t = useT();
  const [form] = Form.useForm();
  const [error, setError] = useState('');
  const save = async (v: any) => {
    setError('');
    try {
      const r = account.create
        ? await api('POST', '/v1/users', { name: v.name, display_name: v.display_name ?? '', roles: v.roles ?? [], password: !v.cert_only })
        : await api('PUT', `/v1/users/${account.name}`, { display_name: v.display_name ?? '', roles: v.roles ?? [], disabled: account.disabled });
      onSaved(r);
    } catch (e) {
      const err = e as ApiError;
      if (err.field) form.setFields([{ name: err.field, errors: [err.message] }]);
      else setError(err.message);
    }
  };
  return (
    <Modal open title={account.create ? t('users.add') : t('common.edit') + ' ' + account.name} onCancel={onClose} onOk={() => form.submit()} destroyOnHidden>
      <Form form={form} layout="vertical" initialValues={account} onFinish={save} data-testid="account-form">
        <Form.Item name="name" label={t('users.name')} rules={[{ required: true }]}><Input disabled={!account.create} data-testid="account-name" /></Form.Item>
        <Form.Item name="display_name" label={t('users.display')}><Input /></Form.Item>
        <Form.Item name="roles" label={t('users.roles')}>
          <Checkbox.Group options={ROLES.map((r) => ({ value: r, label: t(('role.' + r) as Key) }))} data-testid="account-roles" />
        </Form.Item>
        {account.create && <Form.Item name="cert_only" valuePropName="checked"><Checkbox>{t('users.certOnly')}</Checkbox></Form.Item>}
        {error && <Alert type="error" showIcon message={error} />}
      </Form>
    </Modal>
  );
}

import { useState } from 'react';
import { Alert, App, Button, Card, Form, Input, Space } from 'antd';
import { ApiError, Me, api } from '../api';
import { useT } from '../i18n';

export default function Password({ me, forced, onDone, onLogout }: { me: Me; forced?: boolean; onDone: () => void; onLogout: () => void }) {
  const t = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [error, setError] = useState('');
  const submit = async (v: { old: string; new: string; confirm: string }) => {
    setError('');
    try {
      await api('POST', '/v1/password', { old: v.old, new: v.new });
      message.success(t('password.done'));
      form.resetFields();
      onDone();
    } catch (e) {
      const err = e as ApiError;
      if (err.field) form.setFields([{ name: err.field, errors: [err.message.replace(/^\w+: /, '')] }]);
      else setError(err.message);
    }
  };
  const card = (
    <Card title={t('password.title')} style={{ width: 460 }} extra={forced && <Button type="link" onClick={onLogout}>{t('user.logout')}</Button>}>
      {forced && <Alert type="warning" showIcon message={t('password.required')} style={{ marginBottom: 16 }} />}
      <Form form={form} layout="vertical" onFinish={submit} data-testid="password-form">
        <input type="text" name="username" autoComplete="username" value={me.account} readOnly hidden />
        <Form.Item name="old" label={t('password.old')} rules={[{ required: true }]}>
          <Input.Password autoComplete="current-password" data-testid="password-old" />
        </Form.Item>
        <Form.Item name="new" label={t('password.new')} rules={[{ required: true }]}
                   extra={t('password.rule', { min: me.policy.min_length, classes: me.policy.min_classes })}>
          <Input.Password autoComplete="new-password" data-testid="password-new" />
        </Form.Item>
        <Form.Item name="confirm" label={t('password.confirm')} dependencies={['new']}
                   rules={[{ required: true }, ({ getFieldValue }) => ({
                     validator: (_, v) => (!v || v === getFieldValue('new') ? Promise.resolve() : Promise.reject(new Error(t('password.mismatch')))),
                   })]}>
          <Input.Password autoComplete="new-password" data-testid="password-confirm" />
        </Form.Item>
        <Space direction="vertical" style={{ width: '100%' }}>
          {error && <Alert type="error" showIcon message={error} />}
          <Button type="primary" htmlType="submit" block data-testid="password-submit">{t('common.save')}</Button>
        </Space>
      </Form>
    </Card>
  );
  if (!forced) return card;
  return <div style={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', background: '#f0f2f5' }}>{card}</div>;
}

import { useState } from 'react';
import { Alert, Button, Card, Form, Input, Space } from 'antd';
import { ApiError, api } from '../api';
import { useContext } from 'react';
import { LangContext, useT } from '../i18n';

// The sign-in form; `ended`: the server ended the previous session (say so).
export default function Login({ onSignedIn, ended }: { onSignedIn: () => void; ended?: boolean }) {
  const t = useT();
  const { lang, setLang } = useContext(LangContext);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (v: { account: string; password: string }) => {
    setBusy(true);
    setError('');
    try {
      await api('POST', '/v1/login', { account: v.account, password: v.password });
      onSignedIn();
    } catch (e) {
      const err = e as ApiError;
      setError(err.code === 'not_bootstrapped' ? t('login.notBootstrapped') : err.message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div style={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', background: '#f0f2f5' }}>
      <Card title={t('product') + ' · ' + t('login.title')} style={{ width: 380 }}
            extra={<Button type="link" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} data-testid="lang">{t('lang.switch')}</Button>}>
        {ended && !error && <Alert type="warning" showIcon message={t('login.sessionEnded')} style={{ marginBottom: 12 }} data-testid="login-ended" />}
        <Form layout="vertical" onFinish={submit} data-testid="login-form">
          <Form.Item name="account" label={t('login.account')} rules={[{ required: true }]}>
            <Input autoComplete="username" autoFocus data-testid="login-account" />
          </Form.Item>
          <Form.Item name="password" label={t('login.password')} rules={[{ required: true }]}>
            <Input.Password autoComplete="current-password" data-testid="login-password" />
          </Form.Item>
          <Space direction="vertical" style={{ width: '100%' }}>
            {error && <Alert type="error" showIcon message={error} data-testid="login-error" />}
            <Button type="primary" htmlType="submit" block loading={busy} data-testid="login-submit">
              {t('login.submit')}
            </Button>
          </Space>
        </Form>
      </Card>
    </div>
  );
}

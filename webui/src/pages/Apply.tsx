// A whole file at once: the same JSON body as `poolhactl apply` (settings, pools, nodes,
// templates, rules); the controller checks it all before it changes anything.
import { useState } from 'react';
import { Alert, App, Button, Card, Input } from 'antd';
import { api, parseJsonText } from '../api';
import { errorText } from '../App';
import { useT } from '../i18n';

export default function Apply() {
  const t = useT();
  const { message } = App.useApp();
  const [text, setText] = useState('{\n  "pools": [],\n  "nodes": [],\n  "rules": []\n}');
  const [error, setError] = useState('');
  const submit = async () => {
    setError('');
    const { value: body, error: parseError } = parseJsonText(text);
    if (parseError) return setError(parseError);
    try {
      const r = await api<{ applied: number }>('POST', '/v1/apply', body);
      message.success(t('apply.done', { n: r.applied }));
    } catch (e) {
      setError(errorText(e, t));
    }
  };
  return (
    <Card title={t('apply.title')} extra={<Button type="primary" onClick={submit}>{t('apply.submit')}</Button>}>
      <Input.TextArea value={text} onChange={(e) => setText(e.target.value)} autoSize={{ minRows: 18 }} style={{ fontFamily: 'monospace' }} />
      {error && <Alert type="error" showIcon message={error} style={{ marginTop: 12 }} />}
    </Card>
  );
}

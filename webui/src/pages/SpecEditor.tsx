// Create or edit a pool, node, rule or template: a form of its common fields and the
// same object as JSON (what `poolhactl apply` takes), saved with PUT. The controller
// checks everything; when it refuses, its own message is shown at the field it names
// (the API's `field`, rules::problem_field) or above the form when it names none.
// Fields the form does not show (monitors, labels, anti-affinity) stay as they are.
import { useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, Drawer, Form, Input, InputNumber, Select, Space, Switch, Tabs } from 'antd';
import { ApiError, api, get, parseJsonText } from '../api';
import { errorText } from '../App';
import { Key, useT } from '../i18n';
import { View } from '../live';

export type SpecKind = 'rules' | 'nodes' | 'pools' | 'templates';

type Input_ = 'text' | 'number' | 'bool' | 'choice' | 'node' | 'pool' | 'vips';
// No client-side bounds: the controller's checks are the one definition, and its message
// is what the operator sees at the field.
interface FieldDef { name: string; input: Input_; choices?: string[]; step?: number }

const RULE_FIELDS: FieldDef[] = [
  { name: 'pool', input: 'pool' },
  { name: 'os', input: 'choice', choices: ['linux', 'windows'] },
  { name: 'vips', input: 'vips' },
  { name: 'home', input: 'node' },
  { name: 'fixed_target', input: 'node' },
  { name: 'acquire_script', input: 'text' },
  { name: 'release_script', input: 'text' },
  { name: 'script_timeout_ms', input: 'number', step: 100 },
  { name: 'failback', input: 'choice', choices: ['manual', 'automatic', 'never'] },
  { name: 'failback_delay_ms', input: 'number', step: 1000 },
  { name: 'on_arbiter_down', input: 'choice', choices: ['hold', 'switch'] },
  { name: 'local_takeover', input: 'bool' },
  { name: 'group', input: 'text' },
  { name: 'group_order', input: 'number' },
  { name: 'priority', input: 'number' },
];
const FIELDS: Record<SpecKind, FieldDef[]> = {
  pools: [{ name: 'min_takeover_ratio', input: 'number', step: 0.05 }, { name: 'frozen', input: 'bool' }],
  nodes: [{ name: 'pool', input: 'pool' }, { name: 'os', input: 'choice', choices: ['linux', 'windows'] },
    { name: 'priority', input: 'number' }, { name: 'capacity', input: 'number' }],
  rules: RULE_FIELDS,
  // A template is partial: only what is filled in is stored; no VIPs (each rule has its own).
  templates: [{ name: 'description', input: 'text' }, ...RULE_FIELDS.filter((f) => f.name !== 'vips' && f.name !== 'home' && f.name !== 'fixed_target')],
};

const KIND_KEY: Record<SpecKind, Key> = { rules: 'rule.id', nodes: 'node.id', pools: 'pool.id', templates: 'tmpl.id' };

// The field's label: the translated name and the JSON name operators know from files.
function useLabel() {
  const t = useT();
  return (name: string) => {
    const key = ('field.' + name) as Key;
    const text = t(key);
    return text === key ? name : `${text} (${name})`;
  };
}

export function SpecEditor({ kind, id, spec, view, onClose }: { kind: SpecKind; id?: string; spec?: any; view: View; onClose: () => void }) {
  const t = useT();
  const label = useLabel();
  const { message } = App.useApp();
  const creating = id === undefined;
  const [form] = Form.useForm();
  const [tab, setTab] = useState<'form' | 'json'>('form');
  const [base, setBase] = useState<any>(() => spec ?? (kind === 'rules' ? { vips: [{ cidr: '', interface: '' }] } : {}));
  const [text, setText] = useState('');
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const fields = FIELDS[kind];
  const pools = Object.keys(view.state.pools);
  const pool = Form.useWatch('pool', form) ?? base.pool;
  const nodes = useMemo(() => Object.entries(view.state.nodes).filter(([, n]: [string, any]) => !pool || n.spec.pool === pool).map(([n]) => n), [view, pool]);
  const templates = view.state.templates ?? {};
  const [defaults, setDefaults] = useState<Record<string, any>>({});
  // The form's own fields (the rest of the object lives in `base`).
  const names = [...(creating ? ['id'] : []), ...(creating && kind === 'rules' ? ['template'] : []), ...fields.map((f) => f.name)];
  // Sets the plain fields the operator has not touched (the VIP list is the operator's).
  const fillUntouched = (values: Record<string, any>) =>
    form.setFields(fields.filter((f) => f.input !== 'vips' && !form.isFieldTouched(f.name)).map((f) => ({ name: f.name, value: values[f.name] })));
  // A new rule, node or pool starts from the controller's defaults (GET /v1/defaults),
  // so the form shows what an untouched field will be; what was typed meanwhile stays.
  useEffect(() => {
    if (!creating || kind === 'templates') return;
    get<Record<string, any>>('/v1/defaults').then((d) => {
      const { id: _, vips: _v, ...own } = d[kind.slice(0, -1)] ?? {};
      setDefaults(own);
      setBase((b: any) => ({ ...own, ...b }));
      fillUntouched({ ...own, ...form.getFieldsValue() });
    }).catch(() => {});
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [creating, kind, form]);

  // The object the form and the JSON tab stand for: the base with the form's values.
  const current = (): any => {
    const values = form.getFieldsValue(names);
    const out: any = { ...base, ...values };
    // A cleared number is null, which no field takes: left out, the default applies. A
    // template keeps only what is filled in.
    for (const [k, v] of Object.entries(out)) if (v === undefined || v === null || (kind === 'templates' && v === '')) delete out[k];
    if (!creating) out.id = id;
    return out;
  };
  const toJson = () => {
    const { template: _, ...obj } = current();
    setText(JSON.stringify(obj, null, 2));
  };
  const fromJson = (): any | undefined => {
    const { value, error: parseError } = parseJsonText(text);
    if (parseError || typeof value !== 'object' || value === null) {
      setError(parseError ?? 'expected a JSON object');
      return undefined;
    }
    setBase(value);
    // Every form field from the JSON, so a key deleted there is cleared here too.
    // (The template selector shows the template the object names.)
    form.setFields(names.map((n) => ({ name: n, value: n === 'template' ? value.from_template || undefined : value[n] })));
    return value;
  };
  const startFrom = (name: string | undefined) => {
    // A rule made from a template starts from its fields and keeps the template's
    // name, as `template: NAME` in an apply file does; fields the operator already set
    // win. Another template (or none) replaces the first one's fields.
    const { id: _i, description: _d, ...own } = (name && templates[name]) || {};
    fillUntouched({ ...defaults, ...own });
    setBase({ ...defaults, ...own, from_template: name ?? '' });
  };

  const save = async () => {
    setError('');
    setFieldErrors({});
    const body = tab === 'json' ? fromJson() : current();
    if (!body) return;
    const { template: _, ...obj } = body;
    const target = creating ? String(obj.id ?? '').trim() : id!;
    if (!target) return setFieldErrors({ id: t('spec.idRequired') });
    setBusy(true);
    try {
      await api('PUT', `/v1/${kind}/${encodeURIComponent(target)}`, obj);
      message.success(t('common.done'));
      onClose();
    } catch (e) {
      const field = e instanceof ApiError ? e.field : undefined;
      const top = field?.split(/[.[]/)[0];
      if (top && (top === 'id' || fields.some((f) => f.name === top)) && tab === 'form') setFieldErrors({ [top]: errorText(e, t) });
      else setError(errorText(e, t) + (field ? ` (${field})` : ''));
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    try {
      await api('DELETE', `/v1/${kind}/${encodeURIComponent(id!)}`);
      message.success(t('common.done'));
      onClose();
    } catch (e) {
      setError(errorText(e, t));
    }
  };

  const help = (name: string) => (fieldErrors[name]
    ? { validateStatus: 'error' as const, help: <span data-testid={'field-error-' + name}>{fieldErrors[name]}</span> } : {});
  const input = (f: FieldDef) => {
    const testid = 'field-' + f.name;
    switch (f.input) {
      case 'number': return <InputNumber step={f.step} style={{ width: 200 }} data-testid={testid} />;
      case 'choice': return <Select allowClear={kind === 'templates'} options={f.choices!.map((c) => ({ value: c, label: c }))} style={{ width: 200 }} data-testid={testid} />;
      case 'pool': return <Select allowClear showSearch options={pools.map((p) => ({ value: p, label: p }))} style={{ width: 240 }} data-testid={testid} />;
      case 'node': return <Select allowClear showSearch options={nodes.map((n) => ({ value: n, label: n }))} style={{ width: 240 }} data-testid={testid} />;
      default: return <Input style={{ width: 320 }} data-testid={testid} />;
    }
  };
  const formTab = (
    <Form form={form} layout="horizontal" labelCol={{ span: 9 }} wrapperCol={{ span: 15 }} initialValues={base} data-testid="spec-form">
      {creating && (
        <Form.Item name="id" label={label('id')} required {...help('id')}>
          <Input style={{ width: 240 }} data-testid="field-id" />
        </Form.Item>
      )}
      {creating && kind === 'rules' && Object.keys(templates).length > 0 && (
        <Form.Item name="template" label={t('tmpl.startFrom')}>
          <Select allowClear options={Object.keys(templates).map((n) => ({ value: n, label: n }))} onChange={(v) => startFrom(v)} style={{ width: 240 }} data-testid="field-template" />
        </Form.Item>
      )}
      {fields.map((f) => f.input === 'vips' ? (
        <Form.Item key={f.name} label={label('vips')} required {...help('vips')}>
          <Form.List name="vips">
            {(items, { add, remove: drop }) => (
              <>
                {items.map((item) => (
                  <Space key={item.key} align="baseline">
                    <Form.Item name={[item.name, 'cidr']} noStyle><Input placeholder="198.18.1.10/24" style={{ width: 180 }} data-testid={'field-vip-' + item.name} /></Form.Item>
                    <Form.Item name={[item.name, 'interface']} noStyle><Input placeholder={t('spec.interface')} style={{ width: 110 }} /></Form.Item>
                    <Button type="link" onClick={() => drop(item.name)}>−</Button>
                  </Space>
                ))}
                <Button type="dashed" onClick={() => add({ cidr: '', interface: '' })}>+ VIP</Button>
              </>
            )}
          </Form.List>
        </Form.Item>
      ) : (
        <Form.Item key={f.name} name={f.name} label={label(f.name)} valuePropName={f.input === 'bool' && kind !== 'templates' ? 'checked' : 'value'} {...help(f.name)}>
          {f.input !== 'bool' ? input(f)
            : kind === 'templates'  // a template may leave it unset: yes, no or (cleared) not set
              ? <Select allowClear options={[{ value: true, label: t('common.yes') }, { value: false, label: t('common.no') }]} style={{ width: 120 }} data-testid={'field-' + f.name} />
              : <Switch data-testid={'field-' + f.name} />}
        </Form.Item>
      ))}
    </Form>
  );
  return (
    <Drawer open width={720} title={creating ? `${t('common.create')} ${t(KIND_KEY[kind])}` : `${t('common.edit')} ${id}`} onClose={onClose} data-testid="spec-editor"
            extra={<Space>{!creating && <Button danger onClick={remove} data-testid="spec-delete">{t('common.delete')}</Button>}
              <Button type="primary" loading={busy} onClick={save} data-testid="spec-save">{t('common.save')}</Button></Space>}>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} data-testid="spec-error" />}
      <Tabs activeKey={tab} onChange={(k) => {
        if (k === 'json') toJson();
        else if (fromJson() === undefined) return;
        setTab(k as 'form' | 'json');
      }} items={[
        { key: 'form', label: t('spec.form'), children: formTab, forceRender: true },
        { key: 'json', label: 'JSON', children: (
          <Input.TextArea value={text} onChange={(e) => setText(e.target.value)} autoSize={{ minRows: 20 }} style={{ fontFamily: 'monospace' }} data-testid="spec-text" />) },
      ]} />
    </Drawer>
  );
}

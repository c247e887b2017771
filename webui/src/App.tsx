// The console's frame: sign-in, the forced password change, the menu the caller's
// permissions allow (the server computes them: GET /v1/me), the live stream, and the
// pages. The server is the authority on every action; the menu only hides.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { App as AntApp, Badge, Button, ConfigProvider, Dropdown, Layout, Menu, Space, Spin, Typography, Watermark, theme } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import enUS from 'antd/locale/en_US';
import 'dayjs/locale/zh-cn';
import dayjs from 'dayjs';
import { ApiError, Me, api, get, onSignedOut, setCsrf } from './api';
import { Key, Lang, LangContext, translate } from './i18n';
import { useLive } from './live';
import Login from './pages/Login';
import Password from './pages/Password';
import Dashboard from './pages/Dashboard';
import Rules from './pages/Rules';
import Nodes from './pages/Nodes';
import Pools from './pages/Pools';
import Templates from './pages/Templates';
import Topology from './pages/Topology';
import Events from './pages/Events';
import ControlPlane from './pages/ControlPlane';
import Users from './pages/Users';
import Audit from './pages/Audit';
import Apply from './pages/Apply';

const { Header, Sider, Content } = Layout;

interface NavItem { key: string; label: Key; need: string }
const NAV: NavItem[] = [
  { key: '/', label: 'nav.dashboard', need: 'view' },
  { key: '/rules', label: 'nav.rules', need: 'view' },
  { key: '/nodes', label: 'nav.nodes', need: 'view' },
  { key: '/pools', label: 'nav.pools', need: 'view' },
  { key: '/templates', label: 'nav.templates', need: 'view' },
  { key: '/topology', label: 'nav.topology', need: 'view' },
  { key: '/events', label: 'nav.events', need: 'view' },
  { key: '/cluster', label: 'nav.cluster', need: 'view' },
  { key: '/apply', label: 'nav.apply', need: 'configure' },
  { key: '/users', label: 'nav.users', need: 'accounts' },
  { key: '/audit', label: 'nav.audit', need: 'audit' },
];

function initialLang(): Lang {
  const saved = localStorage.getItem('poolha.lang');
  return saved === 'en' ? 'en' : 'zh';
}

export default function App() {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const setLang = (l: Lang) => {
    localStorage.setItem('poolha.lang', l);
    setLangState(l);
  };
  useEffect(() => {
    dayjs.locale(lang === 'zh' ? 'zh-cn' : 'en');
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  }, [lang]);
  return (
    <LangContext.Provider value={{ lang, setLang }}>
      <ConfigProvider locale={lang === 'zh' ? zhCN : enUS} theme={{ algorithm: theme.defaultAlgorithm }}>
        <AntApp>
          <Shell lang={lang} setLang={setLang} />
        </AntApp>
      </ConfigProvider>
    </LangContext.Provider>
  );
}

function Shell({ lang, setLang }: { lang: Lang; setLang: (l: Lang) => void }) {
  const t = (k: Key, v?: Record<string, string | number>) => translate(lang, k, v);
  const [me, setMe] = useState<Me | null | false>(null);
  const navigate = useNavigate();
  const location = useLocation();

  const refreshMe = useCallback(async () => {
    try {
      const m = await get<Me>('/v1/me');
      setCsrf(m.csrf);
      setMe(m);
    } catch (e) {
      setMe(false);
    }
  }, []);
  useEffect(() => {
    refreshMe();
  }, [refreshMe]);

  const [ended, setEnded] = useState(false);
  const signedOut = useCallback(() => {
    setCsrf('');
    setMe(false);
  }, []);
  // The server ended the session (idle, expired, ended by the security administrator):
  // any 401 or the stream's end brings the sign-in form, with why.
  const sessionEnded = useCallback(() => {
    setEnded(true);
    signedOut();
  }, [signedOut]);
  useEffect(() => onSignedOut(sessionEnded), [sessionEnded]);
  // The idle timeout counts from the operator's last request; an open page that only
  // receives the stream is idle. Input on the page tells the controller (at most once
  // a minute, or a third of the timeout), so someone at the screen stays signed in.
  useEffect(() => {
    if (!me) return;
    // Well inside the shortest idle timeout the policy allows (1 min).
    const every = Math.min(60_000, (me.policy.idle_timeout_minutes * 60_000) / 3);
    let last = Date.now();
    const active = () => {
      if (Date.now() - last < every) return;
      last = Date.now();
      get('/v1/me').catch(() => {});
    };
    const events = ['keydown', 'pointerdown', 'wheel'];
    for (const e of events) window.addEventListener(e, active, { passive: true });
    return () => { for (const e of events) window.removeEventListener(e, active); };
  }, [me]);
  const can = (p: string) => !!me && me.permissions.includes(p);
  const live = useLive(!!me && !me.password_change_required && can('view'), sessionEnded);

  const logout = async () => {
    try {
      await api('POST', '/v1/logout', {});
    } catch (e) {
      /* signed out either way */
    }
    signedOut();
    navigate('/');
  };

  const items = useMemo(() => NAV.filter((n) => can(n.need)).map((n) => ({ key: n.key, label: t(n.label) })),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [me, lang]);

  if (me === null) return <Spin fullscreen />;
  if (me === false) return <Login ended={ended} onSignedIn={() => { setEnded(false); return refreshMe(); }} />;
  if (me.password_change_required) return <Password me={me} forced onDone={refreshMe} onLogout={logout} />;

  const home = items[0]?.key ?? '/';
  const selected = '/' + (location.pathname.split('/')[1] ?? '');
  const view = live.view;
  return (
    <Watermark content={[me.account, dayjs().format('YYYY-MM-DD')]} font={{ color: 'rgba(0,0,0,0.06)' }}>
      <Layout style={{ minHeight: '100vh' }}>
        <Sider theme="dark" width={208} breakpoint="lg" collapsedWidth={0}>
          <div style={{ color: '#fff', fontWeight: 600, fontSize: 16, padding: '18px 20px' }} data-testid="product">
            {t('product')}
          </div>
          <Menu theme="dark" mode="inline" selectedKeys={[selected]} items={items}
                onClick={(e) => navigate(e.key)} data-testid="nav" />
        </Sider>
        <Layout>
          <Header style={{ background: '#fff', padding: '0 20px', display: 'flex', justifyContent: 'space-between', alignItems: 'center' }}>
            <Space size="large">
              {can('view') && (
                <Badge status={live.connected ? 'success' : 'error'} data-testid="live"
                       text={live.connected ? t('live.connected') : t('live.reconnecting')} />
              )}
              {view && (
                <Typography.Text type="secondary" data-testid="controller">
                  {t('dash.controller')}: {view.controller} ({view.active ? t('dash.active') : t('dash.standby')}) · {t('cp.term')} {view.state.term}
                </Typography.Text>
              )}
            </Space>
            <Space>
              <Button type="text" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} data-testid="lang">
                {t('lang.switch')}
              </Button>
              <Dropdown menu={{
                items: [
                  ...(me.last_login_ms ? [{ key: 'last', disabled: true, label: <span data-testid="last-login">{t('user.lastLogin', { time: dayjs(me.last_login_ms).format('YYYY-MM-DD HH:mm:ss'), from: me.last_login_from || '-' })}</span> }] : []),
                  { key: 'pw', label: t('user.password'), onClick: () => navigate('/password') },
                  { key: 'out', label: t('user.logout'), onClick: logout },
                ],
              }}>
                <Button type="text" data-testid="user-menu">
                  {me.display_name || me.account} · {me.roles.map((r) => t(('role.' + r) as Key)).join(', ')}
                </Button>
              </Dropdown>
            </Space>
          </Header>
          <Content style={{ margin: 16 }}>
            <Routes>
              {can('view') && <Route path="/" element={<Dashboard view={view} />} />}
              {can('view') && <Route path="/rules" element={<Rules view={view} history={live.history} me={me} />} />}
              {can('view') && <Route path="/nodes" element={<Nodes view={view} me={me} />} />}
              {can('view') && <Route path="/pools" element={<Pools view={view} me={me} />} />}
              {can('view') && <Route path="/templates" element={<Templates view={view} me={me} />} />}
              {can('view') && <Route path="/topology" element={<Topology view={view} />} />}
              {can('view') && <Route path="/events" element={<Events history={live.history} />} />}
              {can('view') && <Route path="/cluster" element={<ControlPlane view={view} me={me} />} />}
              {can('configure') && <Route path="/apply" element={<Apply />} />}
              {can('accounts') && <Route path="/users" element={<Users me={me} />} />}
              {can('audit') && <Route path="/audit" element={<Audit />} />}
              <Route path="/password" element={<Password me={me} onDone={refreshMe} onLogout={logout} />} />
              <Route path="*" element={<Navigate to={home} replace />} />
            </Routes>
          </Content>
        </Layout>
      </Layout>
    </Watermark>
  );
}

export function errorText(e: unknown, t: (k: Key, v?: Record<string, string | number>) => string): string {
  if (e instanceof ApiError) return e.status === 403 && e.code !== 'csrf' ? t('common.forbidden', { why: e.message }) : e.message;
  return String(e);
}

// The controller's REST API from the browser: same origin, the session cookie goes by
// itself; every change carries the session's CSRF token, and an operation its reason
// and change ticket (the audit trail records both). Errors keep the server's message,
// its code and the field it names, so forms can show them where they belong.
export interface Me {
  account: string;
  display_name?: string;
  auth: 'session' | 'certificate';
  roles: string[];
  permissions: string[];
  bootstrapped: boolean;
  password_change_required: boolean;
  csrf?: string;
  last_login_ms?: number;
  last_login_from?: string;
  policy: { min_length: number; min_classes: number; idle_timeout_minutes: number };
}

export class ApiError extends Error {
  constructor(public status: number, message: string, public code?: string, public field?: string, public body?: any) {
    super(message);
  }
}

let csrf = '';
let signedOutHandler: () => void = () => {};
// Called when the server answers 401 to a signed-in call: the session ended there.
export function onSignedOut(f: () => void) {
  signedOutHandler = f;
}
export function setCsrf(token: string | undefined) {
  csrf = token ?? '';
}

export interface CallOptions {
  reason?: string;
  ticket?: string;
}

export async function api<T = any>(method: string, path: string, body?: unknown, opts: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
  if (opts.reason) headers['X-Poolha-Reason'] = encodeURIComponent(opts.reason);
  if (opts.ticket) headers['X-Poolha-Ticket'] = encodeURIComponent(opts.ticket);
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'the controller cannot be reached (' + String(e) + ')', 'unreachable');
  }
  const text = await res.text();
  let data: any = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const msg = data?.error ?? (text || res.statusText);
    if (res.status === 401 && path !== '/v1/login' && path !== '/v1/me') signedOutHandler();
    throw new ApiError(res.status, msg, data?.code, data?.field, data);
  }
  return data as T;
}

export const get = <T = any>(path: string) => api<T>('GET', path);

// A JSON body typed by an operator: the value, or the parser's message to show.
export function parseJsonText(text: string): { value?: any; error?: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { error: String(e) };
  }
}

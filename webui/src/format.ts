// How the console writes times and states: 24-hour local time, YYYY-MM-DD HH:mm:ss.
import dayjs from 'dayjs';

export const fmtTime = (ms?: number | string) => {
  if (ms === undefined || ms === null || ms === 0 || ms === '') return '-';
  return dayjs(ms).format('YYYY-MM-DD HH:mm:ss');
};

export const livenessColor: Record<string, string> = {
  up: 'success',
  suspect: 'warning',
  partitioned: 'warning',
  failed: 'error',
};

export const phaseColor: Record<string, string> = {
  running: 'success',
  switching: 'processing',
  blocked: 'error',
  'admin-wait': 'error',
  unplaced: 'default',
};

export const vipsOf = (rule: any): string =>
  (rule?.spec?.vips ?? []).map((v: any) => v.cidr.split('/')[0]).join(', ');

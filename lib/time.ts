/** Dates and durations as pkgkeys reads them from the command line and prints them. */
import { PkgkeysError } from './errors';

const UNIT_SECONDS: Record<string, number> = {
  s: 1,
  min: 60,
  h: 3600,
  d: 86400,
  w: 7 * 86400,
  m: 30 * 86400,
  y: 365 * 86400,
};

/** Parses a point in time: ISO 8601 (`2026-01-01`, `2026-01-01T12:00:00Z`) or `@UNIXSECONDS`. */
export function parseTime(text: string): Date {
  const unix = /^@(\d+)$/.exec(text);
  const date = unix
    ? new Date(Number(unix[1]) * 1000)
    : /^\d{4}-\d{2}-\d{2}/.test(text)
      ? new Date(text)
      : new Date(NaN);
  if (Number.isNaN(date.getTime())) {
    throw new PkgkeysError('USAGE', `expected a date such as 2027-01-31 or 2027-01-31T12:00:00Z, found "${text}"`);
  }
  return date;
}

/**
 * Parses an expiry relative to `from`: a duration (`90d`, `2y`, `6m`, `12h`, `1w`), a date, or `never`
 * (null). Months are 30 days and years 365: expiries are policy, not calendar arithmetic.
 */
export function parseExpiry(text: string, from: Date): Date | null {
  if (text === 'never') return null;
  const duration = /^(\d+)(s|min|h|d|w|m|y)$/.exec(text);
  const expires = duration
    ? new Date(from.getTime() + Number(duration[1]) * UNIT_SECONDS[duration[2]!]! * 1000)
    : parseTime(text);
  if (expires.getTime() <= from.getTime()) {
    throw new PkgkeysError('USAGE', `expiry ${text} is not after ${formatTime(from)}`);
  }
  return expires;
}

/** Seconds from `from` to `to`, as OpenPGP expiration subpackets count them (RFC 9580 §5.2.3.18). */
export function secondsBetween(from: Date, to: Date): number {
  return Math.round((to.getTime() - from.getTime()) / 1000);
}

/** UTC, seconds precision: `2026-11-23T03:09:08Z`. */
export function formatTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A rough span for people: `45 s`, `12 min`, `5 h`, `3 d`. */
export function describeSpan(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

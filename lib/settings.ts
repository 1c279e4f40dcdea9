/**
 * Configuration files of keyword lines, pkgkeys.conf(5) (lib/client/config.ts) and signd.conf
 * (lib/signd/config.ts): one setting per line, `keyword value...`, `#` starts a comment. Reading is
 * strict: an unknown keyword or a malformed value is a configuration error with its line number,
 * never a silent default that could turn a check off.
 */
import * as path from 'node:path';
import { PkgkeysError } from './errors';

/** A keyword of a configuration file: how many values it takes, and what it sets. */
export interface Setting<T> {
  arity: number;
  set: (config: T, values: string[]) => void;
}

/**
 * Reads `keyword value...` lines (`#` starts a comment) into `config` with `settings`: an unknown
 * keyword, a wrong number of values or a value a setter refuses is BAD_CONFIG, with the line.
 */
export function readSettings<T>(text: string, source: string, config: T, settings: Record<string, Setting<T>>): T {
  text.split('\n').forEach((raw, i) => {
    const words = raw
      .replace(/(^|\s)#.*$/, '')
      .trim()
      .split(/\s+/)
      .filter((w) => w !== '');
    if (words.length === 0) return;
    const [keyword, ...values] = words as [string, ...string[]];
    const setting = settings[keyword];
    try {
      if (!setting)
        throw new PkgkeysError(
          'BAD_CONFIG',
          `unknown keyword "${keyword}" (known: ${Object.keys(settings).join(', ')})`,
        );
      if (values.length !== setting.arity)
        throw new PkgkeysError('BAD_CONFIG', `${keyword} takes ${setting.arity} value(s), found ${values.length}`);
      setting.set(config, values);
    } catch (error) {
      // Whatever a setter refuses (a repository identifier, a URL) is wrong in this file, at this line.
      if (error instanceof PkgkeysError)
        throw new PkgkeysError('BAD_CONFIG', `${source}:${i + 1}: ${error.message}`, { cause: error });
      throw error;
    }
  });
  return config;
}

export const integer =
  (min: number, max: number) =>
  (text: string, keyword: string): number => {
    if (!/^\d{1,9}$/.test(text) || Number(text) < min || Number(text) > max)
      throw new PkgkeysError('BAD_CONFIG', `${keyword} must be a whole number from ${min} to ${max}, not "${text}"`);
    return Number(text);
  };

/** A path in the configuration is absolute: relative to what, for a command run from cron? */
export const absolute = (file: string, keyword: string): string => {
  if (!path.isAbsolute(file))
    throw new PkgkeysError('BAD_CONFIG', `${keyword} must be an absolute path, not "${file}"`);
  return file;
};

/** Checks an upstream repository URL and returns it without a trailing slash. */
export function checkRepositoryURL(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new PkgkeysError('BAD_CONFIG', `"${text}" is not a URL`);
  }
  if (!['http:', 'https:', 'file:'].includes(url.protocol) || url.search || url.hash) {
    throw new PkgkeysError(
      'BAD_CONFIG',
      `${text}: a repository is an http, https or file URL without query or fragment`,
    );
  }
  return url.href.replace(/\/+$/, '');
}

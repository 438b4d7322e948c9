/**
 * Where an xml-sftp integration drops its files: `sftp://user@host:port/abs/dir` or `file:///abs/dir`.
 * As curl reads sftp URLs, the path is absolute on the server; `/~/dir` is relative to the login's home.
 */
import { fileURLToPath } from 'node:url';
import { DeliveryError } from '../../src/domain/errors.js';

export type DropTarget = { protocol: 'sftp'; host: string; port: number; username: string; directory: string } | { protocol: 'file'; directory: string };

/** Throws a permanent DeliveryError naming what is wrong with the URL. */
export function parseDropTarget(target: string): DropTarget {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw invalid(target, 'not a URL');
  }
  if (url.protocol === 'file:') {
    if (url.host !== '') throw invalid(target, 'a file URL must not name a host (file:///abs/dir)');
    return { protocol: 'file', directory: stripTrailingSlash(fileURLToPath(url)) };
  }
  if (url.protocol !== 'sftp:') throw invalid(target, 'use sftp:// or file://');
  if (url.hostname === '') throw invalid(target, 'no host');
  if (url.username === '') throw invalid(target, 'no user (sftp://user@host:port/dir)');
  if (url.password !== '') throw invalid(target, 'put the password in passwordEnv, not in the URL');
  if (url.search !== '' || url.hash !== '') throw invalid(target, 'no query or fragment allowed');
  const path = decodeURIComponent(url.pathname);
  const directory = path.startsWith('/~/') ? path.slice(3) || '.' : path === '/~' ? '.' : path;
  return {
    protocol: 'sftp',
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 22 : Number(url.port),
    username: decodeURIComponent(url.username),
    directory: stripTrailingSlash(directory || '/'),
  };
}

/** The target without credentials, for messages and receipts */
export function describeDropTarget(target: DropTarget): string {
  return target.protocol === 'file'
    ? `file://${target.directory}`
    : `sftp://${target.username}@${target.host}:${target.port}${target.directory.startsWith('/') ? '' : '/~/'}${target.directory}`;
}

function stripTrailingSlash(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

function invalid(target: string, why: string): DeliveryError {
  const redacted = target.replace(/(\/\/[^:@/]*):[^@/]*@/, '$1:…@');
  return new DeliveryError(`invalid xml-sftp target "${redacted}": ${why}`, false);
}

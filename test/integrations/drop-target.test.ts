import { describe, expect, it } from 'vitest';
import { DeliveryError } from '../../src/domain/errors.js';
import { safeFileStem } from '../../integrations/contract.js';
import { parseDropTarget, safeFileName } from '../../integrations/xml-sftp/index.js';

describe('xml-sftp target URLs', () => {
  it('reads sftp paths as absolute on the server, as curl does, and /~/ as the home directory', () => {
    expect(parseDropTarget('sftp://acct@127.0.0.1:2222/inbox')).toEqual({
      protocol: 'sftp',
      host: '127.0.0.1',
      port: 2222,
      username: 'acct',
      directory: '/inbox',
    });
    expect(parseDropTarget('sftp://acct@files.example/~/drop/').directory).toBe('drop');
    expect(parseDropTarget('sftp://acct@files.example/srv/in%20box')).toEqual({
      protocol: 'sftp',
      host: 'files.example',
      port: 22,
      username: 'acct',
      directory: '/srv/in box',
    });
    expect(parseDropTarget('file:///var/drop/')).toEqual({ protocol: 'file', directory: '/var/drop' });
  });

  it.each([
    ['ftp://acct@host/inbox', 'use sftp:// or file://'],
    ['sftp://host/inbox', 'no user'],
    ['sftp://acct:secret@host/inbox', 'passwordEnv'],
    ['inbox', 'not a URL'],
  ])('refuses %s permanently, saying why', (target, reason) => {
    let error: unknown = null;
    try {
      parseDropTarget(target);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).retryable).toBe(false);
    expect((error as DeliveryError).message).toContain(reason);
    expect((error as DeliveryError).message).not.toContain('secret');
  });
});

describe('safe file names', () => {
  it('keeps ordinary invoice numbers as they are', () => {
    expect(safeFileName('SUPA-000042.xml')).toBe('SUPA-000042.xml');
    expect(safeFileStem('SUP_A-000001')).toBe('SUP_A-000001');
  });

  it('never yields a path, a dotfile or a collision for unsafe numbers', () => {
    for (const number of ['../x', '..', '.', 'a/b', 'a\\b', '', 'Łódź-1', 'x'.repeat(300)]) {
      const name = safeFileName(`${number}.pdf`);
      expect(name).toMatch(/^[A-Za-z0-9_-]+\.pdf$/);
      expect(name.length).toBeLessThanOrEqual(120);
    }
    expect(safeFileStem('A/1')).not.toBe(safeFileStem('A_1'));
    expect(safeFileStem('A/1')).toBe(safeFileStem('A/1'));
  });
});

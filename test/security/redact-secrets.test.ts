/**
 * The last line of defence for logs and error messages: what `redactSecrets` blanks out, and what it leaves.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/index.js';
import { REDACTED, redactSecrets, redactUrl } from '../../src/domain/redact-secrets.js';

describe('redactSecrets', () => {
  it('blanks the password of any URL, keeping the user and host', () => {
    expect(redactUrl('smtps://mailer:p%40ss@smtp.example:465')).toBe(`smtps://mailer:${REDACTED}@smtp.example:465`);
    expect(redactSecrets('connect failed: mysql://oms:s3cret@db:3306/oms (timeout)')).toBe(`connect failed: mysql://oms:${REDACTED}@db:3306/oms (timeout)`);
    expect(redactSecrets('{"url":"smtp://u:pw@h:25","to":"a@b.example"}')).toBe(`{"url":"smtp://u:${REDACTED}@h:25","to":"a@b.example"}`);
    // Without a password there is nothing to hide
    expect(redactSecrets('sftp://acct@host:22/inbox and ann@supa.example')).toBe('sftp://acct@host:22/inbox and ann@supa.example');
  });

  it('blanks private keys and API tokens, also inside JSON strings', () => {
    const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----';
    expect(redactSecrets(`key: ${key} end`)).toBe('key: [redacted private key] end');
    expect(redactSecrets(JSON.stringify({ key }))).toBe('{"key":"[redacted private key]"}');
    const token = `oms_${'A'.repeat(43)}`;
    expect(redactSecrets(`GET /orders?token=${token}&x=1`)).toBe(`GET /orders?token=oms_${REDACTED}&x=1`);
  });

  it('blanks configured secret values as written, as JSON escapes them and percent-encoded', () => {
    const secret = 'pa"ss/wörd';
    expect(redactSecrets(`a ${secret} b ${JSON.stringify(secret)} c ${encodeURIComponent(secret)}`, [secret])).toBe(
      `a ${REDACTED} b "${REDACTED}" c ${REDACTED}`,
    );
  });

  it('collects the configured secrets: URL passwords (encoded and decoded) and every OMS_SECRET_ variable', () => {
    const config = loadConfig({
      DATABASE_URL: 'mysql://oms:db%2Fpass@127.0.0.1:3306/oms',
      SMTP_URL: 'smtps://mailer:mail-pass@smtp.example:465',
      OMS_SECRET_SFTP_RETB: 'sftp-pass',
      OMS_SECRET_EMPTY: '',
      HOME: '/root',
    });
    expect([...config.secrets].sort()).toEqual(['db%2Fpass', 'db/pass', 'mail-pass', 'sftp-pass']);
  });

  it('a configuration error names the variable, never its value', () => {
    let error: unknown;
    try {
      loadConfig({ DATABASE_URL: 'postgres://oms:pg-secret@db/oms', SMTP_URL: 'smtps://u:smtp-secret@ host' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/DATABASE_URL/);
    expect(message).toMatch(/SMTP_URL/);
    expect(message).not.toMatch(/pg-secret|smtp-secret/);
  });
});

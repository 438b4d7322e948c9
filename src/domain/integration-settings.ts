/**
 * An accounting integration's type-specific settings (SPEC §4), as stored and as the integrations receive
 * them. Parsed once, where they are read from the database (src/db/integrations-repo.ts and the outbox's
 * claims); everything after that holds these types.
 */
export type IntegrationType = 'pdf-emailer' | 'xml-sftp';

export const INTEGRATION_TYPES: readonly IntegrationType[] = ['pdf-emailer', 'xml-sftp'];

export interface PdfEmailerSettings {
  emailTo: string;
  emailBcc: string | null;
}

export interface XmlSftpSettings {
  target: string;
  privateKeyFile: string | null;
  /** The NAME of the environment variable holding the password */
  passwordEnv: string | null;
  hostKeySha256: string | null;
  includePdf: boolean;
}

export interface SettingsOf {
  'pdf-emailer': PdfEmailerSettings;
  'xml-sftp': XmlSftpSettings;
}

/** A type with its settings, so that one narrows the other. */
export type TypedSettings = { type: 'pdf-emailer'; settings: PdfEmailerSettings } | { type: 'xml-sftp'; settings: XmlSftpSettings };

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * The stored JSON of an integration's settings. Stored settings were validated by the import schema when
 * written, so this only gives them their type (and the defaults of optional fields).
 */
export function parseIntegrationSettings(type: IntegrationType, json: string): TypedSettings {
  const raw = JSON.parse(json) as Record<string, unknown>;
  if (type === 'pdf-emailer') return { type, settings: { emailTo: text(raw.emailTo) ?? '', emailBcc: text(raw.emailBcc) } };
  return {
    type,
    settings: {
      target: text(raw.target) ?? '',
      privateKeyFile: text(raw.privateKeyFile),
      passwordEnv: text(raw.passwordEnv),
      hostKeySha256: text(raw.hostKeySha256),
      includePdf: raw.includePdf === true,
    },
  };
}

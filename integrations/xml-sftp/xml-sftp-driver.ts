/**
 * xml-sftp: drops `NUMBER.xml` (UBL, Peppol BIS 3) and, if asked, `NUMBER.pdf` into the target directory.
 * The PDF goes first, so an importer that picks up the XML finds its PDF already there.
 */
import { posix } from 'node:path';
import { DeliveryError } from '../../src/domain/errors.js';
import type { XmlSftpSettings } from '../../src/domain/integration-settings.js';
import { safeFileStem, type DeliverySession, type IntegrationDriver } from '../contract.js';
import type { DropOptions } from './drop-session.js';
import { describeDropTarget, parseDropTarget } from './drop-target.js';
import { openDropSession } from './open-drop-session.js';
import { openReconnectingDrop } from './reconnecting-drop.js';

export type { XmlSftpSettings };

export interface XmlSftpDriverDeps {
  /** Resolves `passwordEnv`; the composition root passes `(name) => process.env[name]` */
  readSecret: (name: string) => string | undefined;
  /**
   * How long a delivery's claim lasts (OMS_LEASE_SECONDS). A temp file nobody has written to for that
   * long belongs to an upload that was killed, and a later session to the same folder removes it.
   */
  claimSeconds: number;
  /**
   * The operator's policy (SPEC §9), checked again before every session: what in these settings breaks it,
   * each problem naming its field. Any problem fails the deliveries for good, before a file is read, a
   * variable looked up or a connection made.
   */
  checkPolicy: (settings: XmlSftpSettings) => Promise<Array<{ path: string; message: string }>>;
  connectTimeoutMs?: number;
}

export function createXmlSftpDriver(deps: XmlSftpDriverDeps): IntegrationDriver<XmlSftpSettings> {
  return {
    type: 'xml-sftp',
    async open(settings) {
      const breaches = await deps.checkPolicy(settings);
      if (breaches.length > 0) {
        throw new DeliveryError(`not allowed by the operator's policy: ${breaches.map((b) => `${b.path} ${b.message}`).join('; ')}`, false);
      }
      const target = parseDropTarget(settings.target);
      const location = describeDropTarget(target);
      const options = dropOptionsFor(settings, target.protocol === 'sftp', deps);
      const drop = await openReconnectingDrop(() => openDropSession(options));
      let sweep: Promise<unknown> | null = null;
      const session: DeliverySession = {
        async deliver(doc, artefacts) {
          const stem = safeFileStem(doc.number);
          const files: Array<[string, Uint8Array]> = [];
          if (settings.includePdf) files.push([`${stem}.pdf`, await artefacts.pdf()]);
          files.push([`${stem}.xml`, Buffer.from(artefacts.xml(), 'utf8')]);
          const placed: string[] = [];
          for (const [name, bytes] of files) placed.push(await drop.upload(name, bytes));
          // Once per session, after a delivery went through (it gives the target's "now"): remove what
          // killed uploads left. Not awaited, and it never fails a delivery; the driver has no logger,
          // so a failed sweep is ignored and the next session to this folder tries again.
          sweep ??= drop.sweepTempFiles(deps.claimSeconds).catch(() => []);
          return { detail: placed.map((path) => `${location.replace(/\/$/, '')}/${posix.basename(path)}`).join(', ') };
        },
        async close() {
          await sweep;
          await drop.close();
        },
      };
      return session;
    },
  };
}

function dropOptionsFor(settings: XmlSftpSettings, isSftp: boolean, deps: XmlSftpDriverDeps): DropOptions {
  let password: string | null = null;
  if (isSftp && settings.passwordEnv && !settings.privateKeyFile) {
    password = deps.readSecret(settings.passwordEnv) ?? null;
    if (!password) {
      throw new DeliveryError(`environment variable ${settings.passwordEnv} (passwordEnv) is not set`, false);
    }
  }
  return {
    target: settings.target,
    privateKeyFile: settings.privateKeyFile,
    password,
    hostKeySha256: settings.hostKeySha256,
    ...(deps.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: deps.connectTimeoutMs }),
  };
}

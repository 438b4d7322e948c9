export { buildUblCreditNote, buildUblDocument, buildUblInvoice } from './build-ubl-document.js';
export type { DropOptions, DropSession } from './drop-session.js';
export { describeDropTarget, parseDropTarget, type DropTarget } from './drop-target.js';
export { isTempFileName, safeFileName } from './file-names.js';
export { fingerprintHostKey, parseHostKeySha256 } from './host-key.js';
export { openDropSession } from './open-drop-session.js';
export { normaliseVatNumber, resolvePeppolEndpoint } from './peppol-party-ids.js';
export { createXmlSftpDriver, type XmlSftpDriverDeps, type XmlSftpSettings } from './xml-sftp-driver.js';

export { buildUblCreditNote, buildUblDocument, buildUblInvoice } from './build-ubl-document.js';
export { openDropSession, safeFileName, type DropOptions, type DropSession } from './drop-session.js';
export { describeDropTarget, parseDropTarget, type DropTarget } from './drop-target.js';
export { fingerprintHostKey, parseHostKeySha256 } from './host-key.js';
export { normaliseVatNumber, resolvePeppolEndpoint } from './peppol-party-ids.js';
export { createXmlSftpDriver, type XmlSftpDriverDeps, type XmlSftpSettings } from './xml-sftp-driver.js';

/**
 * pdf-emailer: emails the invoice PDF. Sessions share the driver's Mailer (one SMTP pool for the whole
 * process), so opening one is free; the composition root closes the Mailer at shutdown.
 */
import { DeliveryError } from '../../src/domain/errors.js';
import type { PdfEmailerSettings } from '../../src/domain/integration-settings.js';
import type { DeliverySession, IntegrationDriver } from '../contract.js';
import { composeDocumentEmail } from './compose-document-email.js';
import { parseAddressList } from './compose-email.js';
import type { Mailer } from './mailer.js';

export type { PdfEmailerSettings };

export interface PdfEmailerDriverDeps {
  mailer: Mailer;
  /** Sender address for every invoice email */
  from: string;
}

export function createPdfEmailerDriver(deps: PdfEmailerDriverDeps): IntegrationDriver<PdfEmailerSettings> {
  return {
    type: 'pdf-emailer',
    // async so that a bad address rejects rather than throws
    // eslint-disable-next-line @typescript-eslint/require-await
    async open(settings) {
      // bad addresses fail the whole batch up front, permanently
      parseAddressList(settings.emailTo, 'emailTo');
      if (settings.emailBcc) parseAddressList(settings.emailBcc, 'emailBcc');
      const session: DeliverySession = {
        async deliver(doc, artefacts) {
          const message = composeDocumentEmail(doc, await artefacts.pdf(), { ...settings, from: deps.from });
          const receipt = await deps.mailer.send(message);
          // The server took the message for some recipients only. A refused To means the customer did
          // not get the invoice: fail (permanently: the address must be fixed; a later resend reaches the
          // Bcc copies again, under the same Message-ID). A refused Bcc is noted on the receipt.
          const refusedTo = message.to.filter((a) => receipt.rejected.includes(a));
          if (refusedTo.length > 0) {
            throw new DeliveryError(`the SMTP server refused ${refusedTo.join(', ')} (emailTo); the invoice was not delivered to it`, false);
          }
          const note = receipt.rejected.length > 0 ? ` (refused Bcc: ${receipt.rejected.join(', ')})` : '';
          return { detail: `${receipt.messageId} ${receipt.response}${note}` };
        },
        async close() {},
      };
      return session;
    },
  };
}

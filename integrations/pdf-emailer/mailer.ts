/** The Mailer port: send one message, resolve once the server (or the outbox folder) has accepted it. */

export interface MailAttachment {
  filename: string;
  content: Uint8Array;
  contentType: string;
}

export interface MailMessage {
  from: string;
  to: string[];
  /** Envelope recipients only: never written into the sent headers */
  bcc: string[];
  replyTo: string | null;
  subject: string;
  text: string;
  html: string;
  /** "<local@domain>", stable per invoice so mail systems can drop a re-sent duplicate */
  messageId: string;
  attachments: MailAttachment[];
}

export interface MailReceipt {
  messageId: string;
  /** The SMTP server's reply ("250 OK: queued as …"), or where the .eml file was written */
  response: string;
  /** Recipients the server refused while accepting the message for the others */
  rejected: string[];
}

export interface Mailer {
  /** Fails with a DeliveryError (retryable or not, see classify-smtp-error.ts) */
  send(message: MailMessage): Promise<MailReceipt>;
  /** Closes pooled connections; idempotent */
  close(): Promise<void>;
}

/**
 * Who is on an invoice and whose sequence numbers it (SPEC §1):
 *  - the buyer is the invoiced company (dropship or self-fulfilment);
 *  - the seller is its nearest supplier ancestor;
 *  - the sequence owner is the seller for automatic runs — or the nearest admin ancestor that shares
 *    its sequence — and the triggering user's primary company for manual runs.
 */
import type { Knex } from 'knex';
import { findAncestors, findCompanyByCode, findCompanyById, findUserByEmail, type CompanyRecord } from '../db/companies-repo.js';
import { AppError, inputError } from '../domain/errors.js';

export interface RunParties {
  buyer: CompanyRecord;
  seller: CompanyRecord;
  sequenceOwner: CompanyRecord;
  user: { id: number; email: string } | null;
}

export async function resolveParties(db: Knex, companyCode: string, asUser: string | null): Promise<RunParties> {
  const buyer = await findCompanyByCode(db, companyCode);
  if (!buyer) throw new AppError('NOT_FOUND', `unknown company "${companyCode}"`, { problems: [{ path: '--company', message: `unknown company "${companyCode}"` }] });
  if (buyer.type !== 'dropship' && buyer.type !== 'self_fulfilment') {
    throw inputError(
      [{ path: '--company', message: `${buyer.code} is ${buyer.type === 'admin' ? 'an admin' : 'a supplier'} company; invoices are raised against dropship or self-fulfilment companies only` }],
    );
  }
  const ancestors = await findAncestors(db, buyer);
  const seller = ancestors.find((a) => a.type === 'supplier');
  if (!seller) {
    throw inputError([{ path: '--company', message: `${buyer.code} has no supplier above it, so there is no seller to invoice from` }]);
  }
  if (asUser !== null) {
    const user = await findUserByEmail(db, asUser);
    if (!user) throw inputError([{ path: '--as', message: `unknown user "${asUser}"` }]);
    if (user.primaryCompanyId === null) {
      throw inputError([{ path: '--as', message: `user ${user.email} has no primary company, so there is no sequence to number a manual run from` }]);
    }
    const owner = await findCompanyById(db, user.primaryCompanyId);
    if (!owner) throw inputError([{ path: '--as', message: `user ${user.email}'s primary company no longer exists` }]);
    return { buyer, seller, sequenceOwner: owner, user: { id: user.id, email: user.email } };
  }
  const sharing = ancestors.find((a) => a.type === 'admin' && a.sharedSequence);
  return { buyer, seller, sequenceOwner: sharing ?? seller, user: null };
}

/**
 * One accounting integration's settings, for the HTTP API: merged into what is stored, then checked and
 * written by the import schema and `loadImport`, exactly as a `load` of the company would, under the same
 * operator policy (SPEC §9).
 */
import type { Knex } from 'knex';
import type { OperatorPolicy } from '../../config/index.js';
import { findCompanyByCode } from '../db/companies-repo.js';
import { integrationAsImport, listIntegrations, type IntegrationRecord } from '../db/integrations-repo.js';
import type { IntegrationType } from '../domain/integration-settings.js';
import { AppError, inputError } from '../domain/errors.js';
import { integrationSchema } from './import-schema.js';
import { loadImport } from './load-import.js';
import { schemaInputError } from './read-import-files.js';
import { rebaseProblems } from './save-order.js';

/**
 * Changes (or adds) company C's integration of one type. Fields left out keep their stored values;
 * `null` clears an optional one.
 */
export async function saveIntegration(
  db: Knex,
  companyCode: string,
  type: IntegrationType,
  patch: unknown,
  now: number,
  policy: OperatorPolicy,
): Promise<IntegrationRecord> {
  const company = await findCompanyByCode(db, companyCode);
  if (!company) throw new AppError('NOT_FOUND', `unknown company "${companyCode}"`, { problems: [{ path: '', message: `unknown company "${companyCode}"` }] });
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw inputError([{ path: '', message: 'must be an object with the settings to change' }]);
  }
  if ('type' in patch && patch.type !== type) throw inputError([{ path: 'type', message: `must be "${type}" (the type in the URL)` }]);
  const stored = (await listIntegrations(db, { companyCode })).find((g) => g.type === type);
  const parsed = integrationSchema.safeParse({ ...(stored ? integrationAsImport(stored) : {}), ...patch, type });
  if (!parsed.success) throw schemaInputError(parsed.error);
  try {
    await loadImport(
      db,
      [
        {
          file: 'request',
          data: {
            companies: [{ code: company.code, name: company.name, type: company.type, integrations: [parsed.data] }],
            users: [],
            products: [],
            orders: [],
          },
        },
      ],
      { now, policy },
    );
  } catch (err) {
    throw rebaseProblems(rebaseProblems(err, 'companies[0].integrations[0]'), 'companies[0].integrations');
  }
  return (await listIntegrations(db, { companyCode })).find((g) => g.type === type)!;
}

/**
 * `load`'s (and the API's) check of the operator's policy (SPEC §9) over every xml-sftp integration of an
 * import: each problem carries its file and JSON path (`companies[1].integrations[0].target`), so a
 * setting that breaks the policy is an input error like any other and nothing is written.
 */
import type { OperatorPolicy } from '../../config/index.js';
import type { Problem } from '../domain/errors.js';
import { checkXmlSftpPolicy } from './check-xml-sftp-policy.js';
import type { ImportSource } from './read-import-files.js';

export async function checkIntegrationPolicy(policy: OperatorPolicy | undefined, sources: readonly ImportSource[]): Promise<Array<Problem & { file: string }>> {
  const problems: Array<Problem & { file: string }> = [];
  for (const { file, data } of sources) {
    for (const [i, company] of data.companies.entries()) {
      for (const [j, integration] of (company.integrations ?? []).entries()) {
        if (integration.type !== 'xml-sftp') continue;
        // A caller that stores integrations without the operator's policy is a programming error, not input
        if (!policy) throw new Error('integration settings cannot be stored without the operator policy (LoadOptions.policy)');
        for (const p of await checkXmlSftpPolicy(policy, integration)) {
          problems.push({ file, path: `companies[${i}].integrations[${j}].${p.path}`, message: p.message });
        }
      }
    }
  }
  return problems;
}

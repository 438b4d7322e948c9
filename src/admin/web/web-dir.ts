/**
 * Where the page's templates and assets are. They sit beside this module's source; the compiled module
 * (dist/src/admin/web/) is not beside them, so it looks in the project's source tree.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const candidates = [here, path.resolve(here, '../../../../src/admin/web')];

export const webDir = candidates.find((dir) => fs.existsSync(path.join(dir, 'templates'))) ?? here;
export const templatesDir = path.join(webDir, 'templates');
export const assetsDir = path.join(webDir, 'assets');

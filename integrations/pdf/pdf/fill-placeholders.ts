import type { FontProgram } from '../fonts/build-font-program.js';
import { placeholderLetter } from '../fonts/typesetter.js';
import { deflateContent, type PageContent } from '../layout/page-flow.js';

/**
 * Replaces `~<slot letter><original glyph id>` in pages that use subset-renumbered (CFF) fonts with the
 * glyph's id in this document's subset, then deflates those pages like all the others.
 */
export function fillPlaceholders(pages: PageContent[], programs: FontProgram[]): PageContent[] {
  const codesByLetter = new Map<string, Map<number, string>>();
  for (const program of programs) {
    if (program.codes) codesByLetter.set(placeholderLetter(program.slot), program.codes);
  }
  if (codesByLetter.size === 0) return pages;
  const fill = (text: string): string =>
    text.replace(/~([A-Z])([0-9A-F]{4})/g, (_, letter: string, hex: string) => {
      const code = codesByLetter.get(letter)?.get(Number.parseInt(hex, 16));
      if (code === undefined) throw new Error(`PDF glyph placeholder ${letter}${hex} has no subset glyph`);
      return code;
    });
  return pages.map((page) => ({
    body: typeof page.body === 'string' ? deflateContent(fill(page.body)) : page.body,
    footer: page.footer.includes('~') ? fill(page.footer) : page.footer,
  }));
}

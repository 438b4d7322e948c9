import { createHash } from 'node:crypto';
import { PDFContext, PDFHexString, PDFName, PDFString, PDFWriter, type PDFRef } from 'pdf-lib';
import type { FontProgram } from '../fonts/build-font-program.js';
import type { LoadedFont } from '../fonts/load-font.js';
import type { PageContent } from '../layout/page-flow.js';
import { PAGE } from '../layout/theme.js';
import { copyLogo, type PreparedLogo } from './embed-logo.js';

export interface PdfMetadata {
  title: string;
  author: string;
  subject: string;
  /** YYYY-MM-DD; both CreationDate and ModDate, so output never depends on the clock */
  date: string;
  /** Seeds the trailer /ID */
  identity: string;
}

export interface PdfInput {
  pages: PageContent[];
  fonts: { program: FontProgram; font: LoadedFont }[];
  logo: { name: string; prepared: PreparedLogo } | null;
  metadata: PdfMetadata;
}

const PRODUCER = 'oms-invoicing PDF renderer (pdf-lib 1.17.1)';

/**
 * Assembles the document with pdf-lib's object layer and writes it with PDFWriter: objects are numbered
 * in creation order (catalog, page tree, info, resources, pages, fonts, image), so equal input gives
 * equal bytes. No object streams (they cost time and add nothing at these sizes).
 */
export async function writePdf(input: PdfInput): Promise<Uint8Array> {
  const context = PDFContext.create();
  const catalogRef = context.nextRef();
  const pagesRef = context.nextRef();
  const infoRef = context.register(buildInfo(context, input.metadata));
  const resourcesRef = context.nextRef();
  const mediaBox = [0, 0, PAGE.width, PAGE.height];

  const kids: PDFRef[] = [];
  for (const page of input.pages) {
    const pageRef = context.nextRef();
    const body = typeof page.body === 'string' ? Buffer.from(page.body, 'latin1') : page.body;
    const bodyRef = context.register(context.stream(body, typeof page.body === 'string' ? {} : { Filter: 'FlateDecode' }));
    const footerRef = context.register(context.stream(Buffer.from(page.footer, 'latin1')));
    context.assign(
      pageRef,
      context.obj({
        Type: 'Page',
        Parent: pagesRef,
        MediaBox: mediaBox,
        Resources: resourcesRef,
        Contents: [bodyRef, footerRef],
      }),
    );
    kids.push(pageRef);
  }

  const fontRefs: Record<string, PDFRef> = {};
  for (const { program, font } of input.fonts) fontRefs[`F${program.slot + 1}`] = embedFont(context, program, font);
  const xObjects: Record<string, PDFRef> = {};
  if (input.logo) xObjects[input.logo.name] = copyLogo(input.logo.prepared, context);

  context.assign(
    resourcesRef,
    context.obj({
      ProcSet: ['PDF', 'Text', 'ImageB', 'ImageC'],
      Font: context.obj(fontRefs),
      ...(input.logo ? { XObject: context.obj(xObjects) } : {}),
    }),
  );
  context.assign(pagesRef, context.obj({ Type: 'Pages', Kids: kids, Count: kids.length, MediaBox: mediaBox }));
  context.assign(catalogRef, context.obj({ Type: 'Catalog', Pages: pagesRef, Lang: PDFString.of('en') }));
  context.trailerInfo.Root = catalogRef;
  context.trailerInfo.Info = infoRef;
  const id = PDFHexString.of(createHash('md5').update(input.metadata.identity).digest('hex'));
  context.trailerInfo.ID = context.obj([id, id]);
  return PDFWriter.forContext(context, Number.POSITIVE_INFINITY).serializeToBuffer();
}

function buildInfo(context: PDFContext, metadata: PdfMetadata) {
  const date = PDFString.of(`D:${metadata.date.replaceAll('-', '')}000000Z`);
  return context.obj({
    Title: PDFHexString.fromText(metadata.title),
    Author: PDFHexString.fromText(metadata.author),
    Subject: PDFHexString.fromText(metadata.subject),
    Creator: PDFString.of('oms-invoicing'),
    Producer: PDFString.of(PRODUCER),
    CreationDate: date,
    ModDate: date,
  });
}

/** A Type0 font with Identity-H encoding over a CIDFont, its subset program and a ToUnicode CMap. */
function embedFont(context: PDFContext, program: FontProgram, font: LoadedFont): PDFRef {
  const fileDict: Record<string, string | number> = { Filter: 'FlateDecode' };
  if (program.fontFileKey === 'FontFile2') fileDict.Length1 = program.fontFileLength;
  else fileDict.Subtype = 'CIDFontType0C';
  const fontFileRef = context.register(context.stream(program.fontFile, fileDict));
  const descriptorRef = context.register(
    context.obj({
      Type: 'FontDescriptor',
      FontName: program.baseFont,
      Flags: 4,
      FontBBox: font.bbox,
      ItalicAngle: font.italicAngle,
      Ascent: font.ascent,
      Descent: font.descent,
      CapHeight: font.capHeight,
      StemV: 80,
      [program.fontFileKey]: fontFileRef,
    }),
  );
  const cidFontRef = context.register(
    context.obj({
      Type: 'Font',
      Subtype: program.cidFontType,
      BaseFont: program.baseFont,
      CIDSystemInfo: context.obj({
        Registry: PDFString.of('Adobe'),
        Ordering: PDFString.of('Identity'),
        Supplement: 0,
      }),
      FontDescriptor: descriptorRef,
      W: program.widths,
      ...(program.cidFontType === 'CIDFontType2' ? { CIDToGIDMap: PDFName.of('Identity') } : {}),
    }),
  );
  const toUnicodeRef = context.register(context.stream(program.toUnicode, { Filter: 'FlateDecode' }));
  return context.register(
    context.obj({
      Type: 'Font',
      Subtype: 'Type0',
      BaseFont: program.baseFont,
      Encoding: 'Identity-H',
      DescendantFonts: [cidFontRef],
      ToUnicode: toUnicodeRef,
    }),
  );
}

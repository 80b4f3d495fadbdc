import { z } from 'zod';

/** The Alentis `fileType`: what the file is for. */
export const fileTypes = ['documents', 'om-documents', 'coverImage'] as const;
export type FileType = (typeof fileTypes)[number];

/** The Alentis `documentType` list, verbatim from the spec. */
export const documentTypes = [
  'ppa',
  'mcs_certificate',
  'string_layout',
  'om_ticket',
  'invoice',
  'equipment_register',
  'warranty_information',
  'handover_document',
  'ppm',
  'epc',
  'finance_agreements',
  'insurance',
  'land_lease',
  'om_contract',
  'spare_parts',
  'other',
] as const;
export type DocumentType = (typeof documentTypes)[number];

export const documentStatuses = ['pending', 'uploaded', 'failed', 'approved', 'completed'] as const;
export type DocumentStatus = (typeof documentStatuses)[number];

/** Statuses in which the document's bytes are stored and may be downloaded. */
export const statusesWithContent: readonly DocumentStatus[] = ['uploaded', 'approved', 'completed'];

/**
 * Review moves a document forward one step at a time. `pending` and `failed`
 * belong to the upload itself (only an upload token moves them), and
 * `completed` is final.
 */
export const reviewTransitions: Readonly<Record<DocumentStatus, readonly DocumentStatus[]>> = {
  pending: [],
  failed: [],
  uploaded: ['approved'],
  approved: ['completed'],
  completed: [],
};

/** Cover images are shown inline in browsers, so only raster formats browsers render (no SVG: it can carry script). */
export const coverImageMimeTypes = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'] as const;

interface DocumentFileKind {
  /** The kind as a person names it, in the refusal's one line. */
  kind: string;
  /** Each extension and the media type its files have. */
  extensions: Readonly<Record<string, string>>;
  /** Other media types systems report for the same files. */
  aliases?: readonly string[];
}

/**
 * What a site document may be, kind by kind: PDFs, photos and scans, office
 * documents, tabular exports, archives and CAD drawings. Anything a browser
 * would run (HTML, SVG, JavaScript) is left out on purpose. This one list
 * gives the accepted media types, the refusal's wording and what a file
 * picker offers.
 */
export const documentFileKinds: readonly DocumentFileKind[] = [
  { kind: 'PDFs', extensions: { '.pdf': 'application/pdf' } },
  {
    kind: 'images (JPEG, PNG, WebP, GIF, TIFF, HEIC)',
    extensions: {
      '.jpg': 'image/jpeg',
      '.jpeg': 'image/jpeg',
      '.png': 'image/png',
      '.webp': 'image/webp',
      '.gif': 'image/gif',
      '.tif': 'image/tiff',
      '.tiff': 'image/tiff',
      '.heic': 'image/heic',
      '.heif': 'image/heif',
    },
  },
  {
    kind: 'office documents (Word, Excel, PowerPoint, OpenDocument)',
    extensions: {
      '.doc': 'application/msword',
      '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      '.xls': 'application/vnd.ms-excel',
      '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      '.ppt': 'application/vnd.ms-powerpoint',
      '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
      '.odt': 'application/vnd.oasis.opendocument.text',
      '.ods': 'application/vnd.oasis.opendocument.spreadsheet',
      '.odp': 'application/vnd.oasis.opendocument.presentation',
    },
  },
  {
    kind: 'text files (TXT, RTF, CSV, JSON, XML)',
    extensions: {
      '.txt': 'text/plain',
      '.rtf': 'application/rtf',
      '.csv': 'text/csv',
      '.json': 'application/json',
      '.xml': 'application/xml',
    },
  },
  { kind: 'ZIP archives', extensions: { '.zip': 'application/zip' }, aliases: ['application/x-zip-compressed'] },
  {
    kind: 'CAD drawings (DWG, DXF)',
    extensions: { '.dwg': 'image/vnd.dwg', '.dxf': 'image/vnd.dxf' },
    aliases: ['application/acad', 'application/x-dwg', 'application/dxf'],
  },
];

/** Every media type a site document may have (see documentFileKinds). */
export const documentMimeTypes: readonly string[] = [
  ...new Set(documentFileKinds.flatMap((k) => [...Object.values(k.extensions), ...(k.aliases ?? [])])),
];

/** What Helio accepts as documents, in one line a person reads: "PDFs, images (…), … and CAD drawings (DWG, DXF)". */
export const acceptedDocumentKinds: string = (() => {
  const kinds = documentFileKinds.map((k) => k.kind);
  return `${kinds.slice(0, -1).join(', ')} and ${kinds.at(-1)!}`;
})();

/**
 * The allowed types as a file picker's `accept` attribute: extensions and
 * media types, so that files whose type the system does not know (a .dwg)
 * are offered too.
 */
export const documentAccept: string = [...documentFileKinds.flatMap((k) => Object.keys(k.extensions)), ...documentMimeTypes].join(',');

/** Each allowed extension (".dwg") and the media type its files are sent with. */
export const documentMimeTypeByExtension: Readonly<Record<string, string>> = Object.fromEntries(
  documentFileKinds.flatMap((k) => Object.entries(k.extensions)),
);

/**
 * The media type of an allowed document by its file name's extension, for a
 * file reported without a type (browsers leave it empty for extensions they
 * do not know); undefined for any other extension.
 */
export function documentMimeTypeFor(filename: string): string | undefined {
  const dot = filename.lastIndexOf('.');
  return dot < 0 ? undefined : documentMimeTypeByExtension[filename.slice(dot).toLowerCase()];
}

export const MAX_FILES_PER_REQUEST = 20;

/** A media type without parameters, lower-cased: `Application/PDF; charset=x` → `application/pdf`. */
export function mediaTypeEssence(value: string): string {
  return value.split(';', 1)[0]!.trim().toLowerCase();
}

function isPlainFilename(name: string): boolean {
  if (name === '.' || name === '..') return false;
  for (const ch of name) {
    const code = ch.codePointAt(0)!;
    if (ch === '/' || ch === '\\' || code < 0x20 || code === 0x7f) return false;
  }
  return true;
}

// Filenames come back in Content-Disposition headers and in desktop file
// systems, so no separators or control characters, and not `.`/`..`.
const filename = z.string().trim().min(1).max(255).refine(isPlainFilename, {
  message: 'must be a plain file name without path separators or control characters',
});

const allowedMimeTypes: ReadonlySet<string> = new Set(documentMimeTypes);

const mimeType = z
  .string()
  .max(255)
  .describe(`The file's media type, one of: ${documentMimeTypes.join(', ')}`)
  .transform(mediaTypeEssence)
  .refine((type) => allowedMimeTypes.has(type), { message: `is not a file type Helio accepts: it accepts ${acceptedDocumentKinds}` });

const omRecordId = z.string().trim().min(1).max(200);

/**
 * The bulk signed-upload request, with the configured size limit.
 * `fileSize` is required (the spec's second example omits it): the upload
 * token is bound to the size, so the server can refuse a different body
 * before storing it and the size limit is checked before anything is written.
 */
export function bulkUploadRequestSchema(maxFileBytes: number) {
  const file = z.strictObject({
    filename,
    mimeType,
    fileSize: z
      .number()
      .int()
      .positive()
      .max(maxFileBytes, { message: `must be at most ${maxFileBytes} bytes` })
      .describe("Size in bytes, at most the server's upload limit; the upload must match it"),
    documentType: z.enum(documentTypes).optional(),
  });
  return z
    .strictObject({
      siteId: z.uuid(),
      fileType: z.enum(fileTypes),
      omRecordId: omRecordId.optional(),
      files: z
        .array(file)
        .min(1)
        .max(MAX_FILES_PER_REQUEST, { message: `at most ${MAX_FILES_PER_REQUEST} files per request` }),
    })
    .superRefine((req, ctx) => {
      if (req.fileType === 'om-documents' && req.omRecordId === undefined) {
        ctx.addIssue({ code: 'custom', path: ['omRecordId'], message: 'is required when fileType is om-documents' });
      }
      if (req.fileType !== 'om-documents' && req.omRecordId !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['omRecordId'], message: 'only applies when fileType is om-documents' });
      }
      if (req.fileType === 'coverImage') {
        // A site has one cover image: several in one request would race for it.
        if (req.files.length !== 1) {
          ctx.addIssue({ code: 'custom', path: ['files'], message: 'a coverImage request carries exactly one file' });
        }
        req.files.forEach((f, i) => {
          if (!(coverImageMimeTypes as readonly string[]).includes(f.mimeType)) {
            ctx.addIssue({
              code: 'custom',
              path: ['files', i, 'mimeType'],
              message: `a cover image must be one of ${coverImageMimeTypes.join(', ')}`,
            });
          }
        });
      }
    });
}

/** A document captured on a device, uploaded under the id it was given there (see requestCapturedUpload). */
export function capturedUploadSchema(maxFileBytes: number) {
  return z.strictObject({
    id: z.uuid(),
    siteId: z.uuid(),
    fileType: z.literal('documents').default('documents'),
    filename,
    mimeType,
    fileSize: z
      .number()
      .int()
      .positive()
      .max(maxFileBytes, { message: `must be at most ${maxFileBytes} bytes` }),
    documentType: z.enum(documentTypes).optional(),
  });
}

/** The request shape for documentation; the service checks sizes against the configured limit. */
export const bulkUploadRequest = bulkUploadRequestSchema(Number.MAX_SAFE_INTEGER);
export type BulkUploadRequest = z.input<typeof bulkUploadRequest>;

/** What a person may change of a document: its name (its bytes, type and size stay as uploaded). */
export const updateDocumentInput = z.strictObject({ filename });
export type UpdateDocumentInput = z.input<typeof updateDocumentInput>;

export const reviewDocumentInput = z.strictObject({
  status: z.enum(['approved', 'completed']),
});
export type ReviewDocumentInput = z.input<typeof reviewDocumentInput>;

export const document = z.object({
  id: z.uuid(),
  siteId: z.uuid(),
  organisationId: z.uuid(),
  /** The `fileType` the document was requested with. */
  type: z.enum(fileTypes),
  documentType: z.enum(documentTypes).nullable(),
  filename: z.string(),
  status: z.enum(documentStatuses),
  mimeType: z.string(),
  sizeBytes: z.number().int(),
  /** Hex SHA-256 of the stored bytes; null until they arrive. */
  sha256: z.string().nullable(),
  omRecordId: z.string().nullable(),
  uploadedBy: z.uuid().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Document = z.infer<typeof document>;

/** The Alentis bulk upload response, verbatim. */
export const bulkUploadResponse = z.object({
  results: z.array(
    z.object({
      filename: z.string(),
      success: z.boolean(),
      uploadUrl: z.object({ path: z.string(), token: z.string() }),
      documentId: z.uuid(),
    }),
  ),
  summary: z.object({ total: z.number().int(), successful: z.number().int(), failed: z.number().int() }),
});
export type BulkUploadResponse = z.infer<typeof bulkUploadResponse>;

export const downloadUrl = z.object({
  /** Absolute URL; fetch it without credentials. */
  url: z.string(),
  path: z.string(),
  token: z.string(),
  expiresAt: z.iso.datetime(),
});
export type DownloadUrl = z.infer<typeof downloadUrl>;

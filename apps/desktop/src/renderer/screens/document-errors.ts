// What went wrong with a document, in words a technician on site reads once:
// no error codes, no field paths, no "invalid input". Core's codes and
// details pick the sentence; its message is the fallback.
import { describeError } from '../client.js';
import { formatBytes } from '../labels.js';

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
const withPeriod = (text: string) => (/[.!?]$/.test(text) ? text : `${text}.`);
const sentence = (text: string) => capitalised(withPeriod(text));

/** The field a detail is about, without its position: `files[0].mimeType` → `mimeType`. */
const fieldOf = (path: string | undefined) =>
  (path ?? '')
    .split('.')
    .at(-1)!
    .replace(/\[\d+\]$/, '');

/**
 * `subject` names the file the action was about ("inverter.pdf"), so the
 * sentence can say which one.
 */
export function documentErrorText(err: unknown, subject = 'This file'): string {
  const shown = describeError(err);
  const detail = shown.details[0];
  switch (shown.code) {
    case 'VALIDATION_ERROR': {
      const field = fieldOf(detail?.path);
      // Core says what it accepts in one line: "is not a file type Helio accepts: it accepts PDFs, … and CAD drawings (DWG, DXF)".
      // A file name keeps its own case ("page.html").
      if (field === 'mimeType' && detail) return withPeriod(`${subject} ${detail.message}`);
      if (field === 'fileSize' || field === 'contentBase64') {
        const limit = /at most (\d+) bytes/.exec(detail?.message ?? '');
        const most = limit ? formatBytes(Number(limit[1])) : (/at most ([\d.]+ \w+)/.exec(detail?.message ?? '')?.[1] ?? null);
        return withPeriod(`${subject} is too large${most ? `: files are at most ${most}` : ''}`);
      }
      if (field === 'filename') {
        const issue = (detail as { issue?: string } | undefined)?.issue;
        if (issue === 'too_small') return 'Enter a file name.';
        if (issue === 'too_big') return 'A file name is at most 255 characters.';
        return 'A file name cannot contain / or \\ (nor control characters), and cannot be . or ..';
      }
      return sentence(detail?.message ?? shown.message.replace(/^invalid input:\s*/, ''));
    }
    case 'FORBIDDEN':
      return 'Your role in this organisation does not allow changing documents.';
    case 'NOT_FOUND':
      return `${subject === 'This file' ? 'This document' : subject} is no longer there: it may have been deleted on another device.`;
    case 'UNAUTHORIZED':
      return 'You are signed out: sign in again under Server to continue.';
    case 'PRECONDITION_FAILED':
      // "x is not on this device yet: it is fetched from the server when connected (the connection's own words)".
      return sentence(shown.message.replace(/\s*\(.*\)$/, ''));
    case 'PAYLOAD_TOO_LARGE':
      return withPeriod(`${subject} is too large`);
    default:
      return sentence(shown.message || 'Something went wrong');
  }
}

/** Why the server refused a file kept here (the capture's last refusal), and what happens next. */
export function uploadErrorText(problem: { code: string; message: string }): string {
  switch (problem.code) {
    case 'FORBIDDEN':
      return 'Your role in this organisation no longer allows uploading it.';
    case 'NOT_FOUND':
      return 'Its site is no longer on the server.';
    case 'UNAUTHORIZED':
      return 'You are signed out: sign in again under Server to upload it.';
    case 'UPLOAD_MISMATCH':
    case 'UPLOAD_TOKEN_INVALID':
    case 'UPLOAD_TOKEN_EXPIRED':
      return 'It did not arrive whole.';
    case 'VALIDATION_ERROR':
    case 'PAYLOAD_TOO_LARGE':
      if (/fileSize|too large|at most/i.test(problem.message)) return 'It is larger than the server accepts.';
      return sentence(problem.message.replace(/^invalid input:\s*/, ''));
    default:
      if (problem.code === 'INTERNAL_ERROR' || /^HTTP_5/.test(problem.code) || problem.code === 'SERVER_ERROR') {
        return 'The server could not take it just now.';
      }
      return sentence(problem.message);
  }
}

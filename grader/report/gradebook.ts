// The class gradebook: one RFC 4180 CSV row per submission, for Canvas/Moodle-style imports.
// A pure function of a Batch and deterministic — no times, rows sorted by id, numbers in one
// canonical form — so two runs with the same verdicts write byte-identical files.
import type { Batch, BatchEntry } from '../results/batch.js';
import { sanitizeLine } from './format.js';

export const GRADEBOOK_FIXED_COLUMNS = ['id', 'name', 'email', 'status', 'score', 'max', 'percent'] as const;

/** RFC 4180 ends every record with CRLF. */
const EOL = '\r\n';

// Spreadsheets (Excel, LibreOffice Calc, Google Sheets) evaluate a cell that starts with one of
// these as a formula, also after leading blanks (and the full-width forms in some locales); a
// leading TAB or CR is treated the same way. Student-controlled text must never be evaluated.
const FORMULA_START = /^(?:[\t\r]|\s*[=+\-@\uff1d\uff0b\uff0d\uff20])/;

/** A text cell that no spreadsheet evaluates: a leading `'` is the "this is text" marker. */
export function neutralizeFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** One field, quoted when RFC 4180 requires it (comma, quote, CR or LF inside). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A text cell from data: made one safe line, then kept from being read as a formula. */
function textCell(value: string | undefined): string {
  return value === undefined ? '' : neutralizeFormula(sanitizeLine(value));
}

/**
 * A number without trailing junk: `12.5`, `3`, `0.33`. Two decimals are plenty for points and
 * percents, and rounding there also hides float noise (0.1 + 0.2).
 */
export function csvNumber(n: number): string {
  if (!Number.isFinite(n)) return '';
  const rounded = Number(n.toFixed(2));
  return String(rounded === 0 ? 0 : rounded); // no "-0"
}

/** Code-unit order, the same on every machine and locale. */
function byId(a: BatchEntry, b: BatchEntry): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function renderGradebookCsv(batch: Batch): string {
  const totalPossible = batch.tests.reduce((sum, t) => sum + t.points, 0);
  // "flags" last: imports match columns by name, and the fixed ones keep their places.
  const header = [...GRADEBOOK_FIXED_COLUMNS, ...batch.tests.map((t) => textCell(t.id)), 'flags'];
  const rows = [...batch.entries].sort(byId).map((e) => {
    const graded = e.status === 'graded' && e.score !== undefined;
    const earnedById = new Map(e.tests.map((t) => [t.id, t.pointsEarned]));
    return [
      textCell(e.id),
      textCell(e.name),
      textCell(e.email),
      e.status,
      // An error is not a zero: the cell stays empty so an import does not record a grade the
      // grader never gave (the TA decides; docs/batch.md says so).
      graded ? csvNumber(e.score!.earned) : '',
      csvNumber(graded ? e.score!.possible : totalPossible),
      graded ? csvNumber(e.score!.percent) : '',
      ...batch.tests.map((t) => {
        const earned = graded ? earnedById.get(t.id) : undefined;
        return earned === undefined ? '' : csvNumber(earned);
      }),
      textCell(e.forbidden?.length ? `ran a forbidden program: ${e.forbidden.join(', ')}` : undefined),
    ];
  });
  return [header, ...rows].map((cells) => cells.map(csvField).join(',') + EOL).join('');
}

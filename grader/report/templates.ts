// The one Handlebars environment every report renders with. Templates live in templates/ at
// the package root (partials in templates/partials/, registered by file name), found by walking
// up from this module: it runs from grader/report/*.ts under vitest and from
// dist/grader/report/*.js once built.
//
// Escaping is decided by the file name: `*.html.hbs` is compiled with Handlebars' HTML escaping
// (so `{{x}}` is always safe; templates must never use `{{{x}}}` on results data), while
// `*.txt.hbs` (terminal) and `*.md.hbs` (Markdown) are compiled without it and escape explicitly
// with the helpers below where their format needs it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import pc from 'picocolors';
import { packageRoot } from '../paths.js';
import { bytesText, showBase64 } from './bytes.js';
import {
  formatCount,
  formatDuration,
  formatNumber,
  formatPercent,
  formatPoints,
  pluralize,
} from './format.js';
import { codeCell, codeSpan, fence, mdEscape } from './markdown-escape.js';

type HelperOptions = Handlebars.HelperOptions;
export type TemplateData = { color?: boolean };

/** Name a template file is known by: `partials/html-test.html.hbs` → `html-test`. */
function templateName(file: string): string {
  return file.replace(/\.(html|txt|md)\.hbs$/, '').replace(/\.hbs$/, '');
}

// Handlebars indents the whole output of a partial that stands on its own line. The terminal
// templates use that to nest details; in HTML and Markdown it would shift lines inside <pre> and
// code blocks (and misplace a diff's caret), so it is off there.
function compileOptions(file: string): CompileOptions {
  if (file.endsWith('.html.hbs')) return { noEscape: false, preventIndent: true };
  if (file.endsWith('.md.hbs')) return { noEscape: true, preventIndent: true };
  if (file.endsWith('.txt.hbs')) return { noEscape: true, preventIndent: false };
  throw new Error(`sockgrade: template ${file} must end in .html.hbs, .txt.hbs or .md.hbs`);
}

type CompileOptions = { noEscape: boolean; preventIndent: boolean };

// ---------------------------------------------------------------------------------------------
// Helpers

/** Split Handlebars' (...args, options) into the two. */
function split(args: unknown[]): { params: unknown[]; options: HelperOptions } {
  return { params: args.slice(0, -1), options: args[args.length - 1] as HelperOptions };
}

const COLOURS = ['green', 'red', 'yellow', 'dim', 'bold', 'cyan', 'gray', 'magenta', 'inverse', 'underline'] as const;
type Colour = (typeof COLOURS)[number];

const STATUS_COLOUR: Record<string, Colour> = {
  passed: 'green',
  failed: 'red',
  timeout: 'yellow',
  error: 'magenta',
  skipped: 'gray',
};

// Colour functions that always emit; whether to call them is decided per render (@color).
const on = pc.createColors(true);

const BADGE: Record<string, (s: string) => string> = {
  passed: (s) => on.bgGreen(on.black(s)),
  failed: (s) => on.bgRed(on.white(s)),
  timeout: (s) => on.bgYellow(on.black(s)),
  error: (s) => on.bgMagenta(on.white(s)),
  skipped: (s) => on.inverse(s),
};

function colourOn(options: HelperOptions): boolean {
  return Boolean((options.data as { color?: boolean } | undefined)?.color);
}

/** Text of an inline (`{{red x}}`) or block (`{{#red}}x{{/red}}`) use. */
function content(thisArg: unknown, params: unknown[], options: HelperOptions): string {
  if (typeof options.fn === 'function') return options.fn(thisArg);
  const v = params[0];
  return v === undefined || v === null ? '' : String(v);
}

/** Colour each line on its own, so a colour never bleeds across an indented newline. */
function paint(text: string, colour: Colour): string {
  const c = on[colour];
  return text
    .split('\n')
    .map((l) => (l === '' ? l : c(l)))
    .join('\n');
}

function registerHelpers(hb: typeof Handlebars): void {
  for (const colour of COLOURS) {
    hb.registerHelper(colour, function (this: unknown, ...args: unknown[]) {
      const { params, options } = split(args);
      const text = content(this, params, options);
      return colourOn(options) ? paint(text, colour) : text;
    });
  }
  // {{statusColor status text}}: the colour that goes with a test status.
  hb.registerHelper('statusColor', function (this: unknown, ...args: unknown[]) {
    const { params, options } = split(args);
    const status = String(params[0]);
    const text = content(this, params.slice(1), options);
    const colour = STATUS_COLOUR[status];
    return colourOn(options) && colour ? paint(text, colour) : text;
  });
  // {{badge status text}}: ` FAIL ` on a coloured background (plain text without colour).
  hb.registerHelper('badge', function (this: unknown, ...args: unknown[]) {
    const { params, options } = split(args);
    const status = String(params[0]);
    const text = ` ${content(this, params.slice(1), options)} `;
    const bg = BADGE[status];
    return colourOn(options) && bg ? bg(text) : text;
  });
  // {{bytes base64 [maxChars] [size]}}: escaped, quoted bytes, cut with "… N more bytes".
  hb.registerHelper('bytes', (...args: unknown[]) => {
    const { params } = split(args);
    const max = typeof params[1] === 'number' ? params[1] : Infinity;
    const size = typeof params[2] === 'number' ? params[2] : undefined;
    return bytesText(showBase64(params[0] as string | undefined, max, size));
  });
  hb.registerHelper('duration', (ms: unknown) => formatDuration(Number(ms)));
  hb.registerHelper('points', (earned: unknown, possible: unknown) => formatPoints(Number(earned), Number(possible)));
  hb.registerHelper('percent', (p: unknown) => formatPercent(Number(p)));
  hb.registerHelper('number', (n: unknown) => formatNumber(Number(n)));
  hb.registerHelper('count', (n: unknown) => formatCount(Number(n)));
  // {{pluralize n "entry" "entries"}} → `3 entries`.
  hb.registerHelper('pluralize', (...args: unknown[]) => {
    const { params } = split(args);
    return pluralize(Number(params[0]), String(params[1]), params[2] === undefined ? undefined : String(params[2]));
  });
  // {{indent text n}}: every line but the first indented by n spaces (the first sits where the
  // mustache is); use after the indentation of the first line.
  hb.registerHelper('indent', (text: unknown, n: unknown) =>
    String(text ?? '').replace(/\n(?!$)/g, '\n' + ' '.repeat(Number(n))),
  );
  hb.registerHelper('concat', (...args: unknown[]) => split(args).params.map((p) => String(p ?? '')).join(''));
  hb.registerHelper('spaces', (n: unknown) => ' '.repeat(Math.max(0, Number(n))));
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('gt', (a: unknown, b: unknown) => Number(a) > Number(b));
  hb.registerHelper('or', (...args: unknown[]) => split(args).params.some(Boolean));
  hb.registerHelper('and', (...args: unknown[]) => split(args).params.every(Boolean));
  hb.registerHelper('not', (a: unknown) => !a);
  // Markdown: inline text, code spans and fenced blocks that no content can break out of.
  hb.registerHelper('md', (text: unknown) => mdEscape(String(text ?? '')));
  hb.registerHelper('code', (text: unknown) => codeSpan(String(text ?? '')));
  hb.registerHelper('codeCell', (text: unknown) => codeCell(String(text ?? '')));
  // {{h text}}: HTML-escaped text, for raw HTML inside Markdown (<summary> lines).
  hb.registerHelper('h', (text: unknown) => hb.escapeExpression(String(text ?? '')));
  hb.registerHelper('fence', (...args: unknown[]) => {
    const { params } = split(args);
    return fence(String(params[0] ?? ''), params[1] === undefined ? '' : String(params[1]));
  });
}

// ---------------------------------------------------------------------------------------------
// Loading

export interface TemplateEnv {
  root: string;
  handlebars: typeof Handlebars;
  render(name: string, context: unknown, data?: TemplateData): string;
  /** Names of the templates and partials, with their files (relative to templates/). */
  files: Map<string, string>;
}

function listTemplates(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listTemplates(join(dir, entry.name), rel));
    else if (entry.name.endsWith('.hbs')) out.push(rel);
  }
  return out.sort();
}

export function createTemplateEnv(root: string = packageRoot): TemplateEnv {
  const hb = Handlebars.create();
  registerHelpers(hb);
  const dir = join(root, 'templates');
  const files = new Map<string, string>();
  const compiled = new Map<string, Handlebars.TemplateDelegate>();
  for (const rel of listTemplates(dir)) {
    const name = templateName(rel.split('/').pop() as string);
    if (files.has(name)) throw new Error(`sockgrade: two templates are named ${name}: ${files.get(name)} and ${rel}`);
    files.set(name, rel);
    const fn = hb.compile(readFileSync(join(dir, rel), 'utf8'), compileOptions(rel));
    compiled.set(name, fn);
    if (rel.startsWith('partials/')) hb.registerPartial(name, fn);
  }
  return {
    root,
    handlebars: hb,
    files,
    render(name, context, data = {}) {
      const fn = compiled.get(name);
      if (!fn) throw new Error(`sockgrade: no template named ${name} in ${dir}`);
      return fn(context, { data: { ...data } });
    },
  };
}

let shared: TemplateEnv | undefined;

/** The shared environment, loaded on first use. */
export function templates(): TemplateEnv {
  shared ??= createTemplateEnv();
  return shared;
}

/** Render a template from templates/ by name. */
export function render(name: string, context: unknown, data?: TemplateData): string {
  return templates().render(name, context, data);
}

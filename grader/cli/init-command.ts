// `sockgrade init <assignment> <dir>`: copy a starter to begin from, with a GitHub Actions
// workflow that grades every push the same way.
import fs from 'node:fs';
import path from 'node:path';
import { readDefinition } from '../assignment/load.js';
import { ConfigError } from '../errors.js';
import { fillTemplate } from '../export/template.js';
import { packageRoot, packageVersion, startersDir } from '../paths.js';

const SKIP = new Set(['node_modules', 'dist', 'sockgrade-report', '__pycache__']);

export const WORKFLOW_PATH = path.join('.github', 'workflows', 'sockgrade.yml');

export interface InitOptions {
  /** The percentage below which the workflow's check fails (default 100: every test). */
  failUnder?: string;
}

// What a runner needs before grading, per starter language: ubuntu-latest has python3 and cc; a
// TypeScript submission installs its own typescript and @types/node for its build (npx keeps
// sockgrade's own dependencies out of the submission's PATH).
const INSTALL_STEPS: Record<string, string> = {
  python: ['      - name: Python', '        # python3 comes with the ubuntu-latest runner.', '        run: python3 --version'].join('\n'),
  typescript: ['      - name: Install dependencies', '        run: npm install --no-audit --no-fund'].join('\n'),
  c: ['      - name: C compiler', '        # cc (gcc) comes with the ubuntu-latest runner; the build command in sockgrade.json uses it.', '        run: cc --version'].join('\n'),
};

function parseFailUnder(text: string | undefined): string {
  if (text === undefined) return '100';
  const n = Number(text.replace(/%$/, ''));
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100) throw new ConfigError(`--fail-under: "${text}" is not a percentage from 0 to 100`);
  return String(n);
}

/** The workflow file's text for a submission of `assignment` in `lang`. */
export function workflowText(assignment: string, lang: string, opts: InitOptions = {}): string {
  const version = packageVersion();
  const template = fs.readFileSync(path.join(packageRoot, 'templates', 'github', 'sockgrade.yml'), 'utf8');
  return fillTemplate(template, {
    VERSION: version,
    PACKAGE: `sockgrade@${version}`,
    ASSIGNMENT: assignment,
    LANG: lang,
    FAIL_UNDER: parseFailUnder(opts.failUnder),
    INSTALL_STEPS: INSTALL_STEPS[lang] ?? `      - name: Tools\n        run: echo "install what your ${lang} build needs here"`,
  });
}

export function initCommand(assignment: string, dir: string, lang: string, opts: InitOptions = {}): string {
  readDefinition(assignment); // unknown assignment: a clear error
  const workflow = workflowText(assignment, lang, opts); // a bad --fail-under fails before anything is written
  const from = path.join(startersDir, assignment, lang);
  if (!fs.existsSync(from)) {
    const langs = fs.existsSync(path.join(startersDir, assignment)) ? fs.readdirSync(path.join(startersDir, assignment)) : [];
    throw new ConfigError(`no ${lang} starter for ${assignment}`, `Available: ${langs.join(', ') || '(none)'}. Choose one with --lang.`);
  }
  const to = path.resolve(dir);
  if (fs.existsSync(to) && (!fs.statSync(to).isDirectory() || fs.readdirSync(to).length > 0))
    throw new ConfigError(`${to} already exists and is not an empty folder`, 'Choose a new folder name, so nothing of yours is overwritten.');
  fs.cpSync(from, to, { recursive: true, filter: (src) => !SKIP.has(path.basename(src)) && !src.endsWith('.tsbuildinfo') });
  fs.mkdirSync(path.join(to, path.dirname(WORKFLOW_PATH)), { recursive: true });
  fs.writeFileSync(path.join(to, WORKFLOW_PATH), workflow, 'utf8');
  return to;
}

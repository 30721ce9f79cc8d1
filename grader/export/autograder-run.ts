// Inside Gradescope's container: grade /autograder/submission and leave results.json, whatever
// happens. Run by run_autograder as `node dist/grader/export/autograder-run.js <assignment>`.
//
// - The grade runs as a child process (the CLI, `--official --format gradescope`), so a crash
//   or a hang of the grader cannot stop this script from writing a result.
// - A submission without sockgrade.json is graded with the starter's manifest for the language
//   its files are in (Python or TypeScript), and the output says so: students often upload only
//   their source file, and scoring 0 for a missing boilerplate file helps nobody. When the files
//   name no language, or the folder is empty, the result is 0 with what to upload.
// - A zip uploaded with one top folder is graded inside that folder.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gradescopeFailure, withNote, type GradescopeResults } from '../report/gradescope.js';

const MANIFEST = 'sockgrade.json';
// Folders and files a zip tool adds that are not the student's work.
const NOISE = new Set(['__MACOSX', '.DS_Store', '.git']);

const here = path.dirname(fileURLToPath(import.meta.url));
/** The bundle's root (/autograder/source): dist/grader/export/ is three levels down. */
const sourceRoot = path.resolve(here, '..', '..', '..');

function version(): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(sourceRoot, 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

function entries(dir: string): fs.Dirent[] {
  return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => !NOISE.has(e.name));
}

/** The folder to grade: the submission, or its only subfolder when that holds the manifest. */
export function submissionDir(submission: string): string {
  if (fs.existsSync(path.join(submission, MANIFEST))) return submission;
  const list = entries(submission);
  if (list.length === 1 && list[0].isDirectory() && fs.existsSync(path.join(submission, list[0].name, MANIFEST))) return path.join(submission, list[0].name);
  return submission;
}

/** The starter language a folder's files are written in, if any. */
export function detectLanguage(dir: string): 'python' | 'typescript' | 'c' | undefined {
  const names = entries(dir).map((e) => e.name);
  const src = fs.existsSync(path.join(dir, 'src')) ? entries(path.join(dir, 'src')).map((e) => e.name) : [];
  if (names.includes('package.json') || names.includes('tsconfig.json') || [...names, ...src].some((n) => n.endsWith('.ts'))) return 'typescript';
  if (names.some((n) => n.endsWith('.py'))) return 'python';
  if (names.some((n) => n.endsWith('.c'))) return 'c';
  return undefined;
}

interface Outcome {
  results?: GradescopeResults;
  failure?: string;
}

/** Run the grader; SIGINT at the deadline (it then writes the partial results), SIGKILL later. */
function gradeChild(dir: string, assignment: string, reportDir: string, deadlineMs: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const args = [path.join(sourceRoot, 'bin', 'sockgrade.js'), 'grade', dir, '--assignment', assignment, '--official', '--format', 'gradescope', '--report-dir', reportDir];
    console.log(`$ node ${args.join(' ')}`);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      process.stderr.write(b);
      stderr = (stderr + b.toString('utf8')).slice(-8000);
    });
    const soft = setTimeout(() => child.kill('SIGINT'), deadlineMs);
    const hard = setTimeout(() => child.kill('SIGKILL'), deadlineMs + 20_000);
    child.on('error', (e) => {
      stderr += `\n${e.message}`;
    });
    child.on('close', (code) => {
      clearTimeout(soft);
      clearTimeout(hard);
      resolve({ code, stderr });
    });
  });
}

async function run(assignment: string, root: string): Promise<Outcome & { notes: string[] }> {
  const notes: string[] = [];
  const submission = path.join(root, 'submission');
  if (!fs.existsSync(submission) || entries(submission).length === 0)
    return { notes, failure: 'Your submission is empty: upload your program and its sockgrade.json (or only your program: server.py, or package.json with src/).' };
  const dir = submissionDir(submission);
  if (dir !== submission) notes.push(`Graded the folder ${path.basename(dir)}/ of your upload.`);
  if (!fs.existsSync(path.join(dir, MANIFEST))) {
    const lang = detectLanguage(dir);
    const starter = lang && path.join(sourceRoot, 'starter', assignment, lang, MANIFEST);
    if (!lang || !starter || !fs.existsSync(starter)) {
      const found = entries(dir).map((e) => e.name + (e.isDirectory() ? '/' : '')).slice(0, 20).join(', ');
      return { notes, failure: `Your submission has no ${MANIFEST}, and its files (${found}) are not a Python, TypeScript or C program I can start. Upload ${MANIFEST} with your program: it says how to build and run it.` };
    }
    const text = fs.readFileSync(starter, 'utf8');
    fs.writeFileSync(path.join(dir, MANIFEST), text);
    notes.push(`Your submission has no ${MANIFEST}, so it was graded with the ${lang} starter's: ${text.trim()}. Upload your own ${MANIFEST} if your program starts differently.`);
  }
  const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-gradescope-'));
  const deadlineMs = Number(process.env.SOCKGRADE_AUTOGRADER_TIMEOUT_S ?? 1200) * 1000;
  const { code, stderr } = await gradeChild(dir, assignment, reportDir, deadlineMs);
  const file = path.join(reportDir, 'results.json');
  if (fs.existsSync(file)) {
    try {
      return { notes, results: JSON.parse(fs.readFileSync(file, 'utf8')) as GradescopeResults };
    } catch {
      /* unreadable: fall through to the failure below */
    }
  }
  // No results: a configuration problem (exit 2: an invalid sockgrade.json, say) or a grader failure.
  const said = stderr.replace(/^sockgrade: /gm, '').trim() || `the grader stopped (exit code ${code ?? 'none'}) without a message`;
  const what = code === 2 ? 'Your submission could not be graded:' : 'The grader failed on your submission (this is a problem with the autograder; please tell the course staff):';
  return { notes, failure: `${what}\n${said}` };
}

async function main(): Promise<void> {
  const assignment = process.argv[2];
  const root = process.env.AUTOGRADER_ROOT ?? '/autograder';
  const out = path.join(root, 'results', 'results.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  let results: GradescopeResults;
  try {
    if (!assignment) throw new Error('usage: autograder-run.js <assignment>');
    const o = await run(assignment, root);
    results = o.results ?? gradescopeFailure(o.failure ?? 'not graded', { version: version(), assignment });
    if (o.notes.length > 0) results = withNote(results, o.notes.join('\n'));
  } catch (e) {
    results = gradescopeFailure(`The autograder failed before grading (please tell the course staff): ${(e as Error).message}`, { version: version(), assignment });
  }
  fs.writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  console.log(`results: ${out} (score ${results.score})`);
}

await main();

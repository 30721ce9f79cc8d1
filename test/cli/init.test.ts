// `sockgrade init` writes a GitHub Actions workflow beside the starter: well-formed YAML that
// checks out, sets up Node 20, installs what the language needs, grades with --fail-under,
// and uploads the reports. Its Grade step, run here with the built CLI under GITHUB_ACTIONS,
// writes the job summary, annotations and every report the upload step expects.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { initCommand, WORKFLOW_PATH } from '../../grader/cli/init-command.js';
import { ConfigError } from '../../grader/errors.js';
import { packageVersion } from '../../grader/paths.js';
import { at } from '../helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-init-'));
  dirs.push(d);
  return d;
}

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}

function workflow(dir: string): { text: string; doc: { on: unknown; env: Record<string, string>; jobs: { grade: { 'runs-on': string; steps: Step[] } } } } {
  const text = fs.readFileSync(path.join(dir, WORKFLOW_PATH), 'utf8');
  const d = parseDocument(text);
  expect(d.errors).toEqual([]);
  expect(d.warnings).toEqual([]);
  return { text, doc: parse(text) };
}

const GRADE_PREFIX = 'npx --yes --package="$SOCKGRADE_PACKAGE" sockgrade ';

describe('sockgrade init: the GitHub Actions workflow', () => {
  it('python: checkout, Node 20, grade with --fail-under 100 by default, upload the reports always', () => {
    const dir = initCommand('kv-server', path.join(tmp(), 'sub'), 'python');
    expect(fs.existsSync(path.join(dir, 'sockgrade.json'))).toBe(true);
    const { text, doc } = workflow(dir);
    expect(text).not.toMatch(/@[A-Z_]+@/);
    expect(doc.on).toMatchObject({ push: null, pull_request: null });
    expect(doc.env.SOCKGRADE_PACKAGE).toBe(`sockgrade@${packageVersion()}`);
    const steps = doc.jobs.grade.steps;
    expect(doc.jobs.grade['runs-on']).toBe('ubuntu-latest');
    expect(steps[0].uses).toBe('actions/checkout@v4');
    expect(steps[1]).toMatchObject({ uses: 'actions/setup-node@v4', with: { 'node-version': 20 } });
    expect(steps.some((s) => s.run === 'python3 --version')).toBe(true);
    const grade = steps.find((s) => s.name === 'Grade')!;
    expect(grade.run!.startsWith(GRADE_PREFIX)).toBe(true);
    expect(grade.run).toContain('grade . --format html,markdown,json,junit --fail-under 100');
    const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    expect(upload.uses).toBe('actions/upload-artifact@v4');
    expect(upload.if).toBe('always()');
    expect(upload.with).toMatchObject({ path: 'sockgrade-report/' });
    expect(steps.indexOf(upload)).toBeGreaterThan(steps.indexOf(grade));
  });

  it('typescript installs its dependencies before grading; --fail-under is written as given', () => {
    const dir = initCommand('kv-server', path.join(tmp(), 'ts'), 'typescript', { failUnder: '80%' });
    const steps = workflow(dir).doc.jobs.grade.steps;
    const install = steps.findIndex((s) => s.run?.startsWith('npm install'));
    const grade = steps.findIndex((s) => s.name === 'Grade');
    expect(install).toBeGreaterThan(1);
    expect(install).toBeLessThan(grade);
    expect(steps[grade].run).toMatch(/--fail-under 80$/);
  });

  it('c: copies the C starter (source, build command, no binary) and checks for cc before grading', () => {
    const dir = initCommand('http-server', path.join(tmp(), 'c'), 'c');
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'sockgrade.json'), 'utf8'));
    expect(manifest.build).toMatch(/^cc /);
    expect(fs.existsSync(path.join(dir, 'server.c'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'server'))).toBe(false);
    const steps = workflow(dir).doc.jobs.grade.steps;
    expect(steps.findIndex((s) => s.run === 'cc --version')).toBeLessThan(steps.findIndex((s) => s.name === 'Grade'));
  });

  it('a bad --fail-under is a ConfigError and creates nothing', () => {
    const to = path.join(tmp(), 'bad');
    expect(() => initCommand('kv-server', to, 'python', { failUnder: '150' })).toThrow(ConfigError);
    expect(() => initCommand('kv-server', to, 'python', { failUnder: 'lots' })).toThrow(/--fail-under: "lots"/);
    expect(fs.existsSync(to)).toBe(false);
  });

  it("the Grade step, run as GitHub would (built CLI): step summary, one annotation per failure, the reports, the check's exit code", async () => {
    const dir = initCommand('kv-server', path.join(tmp(), 'e2e'), 'python', { failUnder: '90' });
    const grade = workflow(dir).doc.jobs.grade.steps.find((s) => s.name === 'Grade')!;
    const command = grade.run!.replace(GRADE_PREFIX, `"${process.execPath}" "${at('bin', 'sockgrade.js')}" `);
    const summary = path.join(tmp(), 'step-summary.md');
    fs.writeFileSync(summary, '# earlier step\n');
    const r = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile('bash', ['-c', command], { cwd: dir, env: { ...process.env, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, NO_COLOR: '1' }, timeout: 120_000 }, (err, stdout) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
      ),
    );
    // The starter fails most tests: below 90%, so the check fails.
    expect(r.code).toBe(1);
    const reports = fs.readdirSync(path.join(dir, 'sockgrade-report')).sort();
    expect(reports).toEqual(['junit.xml', 'report.html', 'report.md', 'results.json']);
    const results = JSON.parse(fs.readFileSync(path.join(dir, 'sockgrade-report', 'results.json'), 'utf8'));
    const failing = results.groups.flatMap((g: { tests: Array<{ status: string; pointsEarned: number; pointsPossible: number }> }) => g.tests).filter((t: { status: string; pointsEarned: number; pointsPossible: number }) => !(t.status === 'passed' && t.pointsEarned >= t.pointsPossible));
    expect(failing.length).toBeGreaterThan(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('::error title='))).toHaveLength(failing.length);
    // Appended after what an earlier step wrote, and the same as report.md.
    const text = fs.readFileSync(summary, 'utf8');
    expect(text.startsWith('# earlier step\n')).toBe(true);
    expect(text).toContain(fs.readFileSync(path.join(dir, 'sockgrade-report', 'report.md'), 'utf8'));
  });
});

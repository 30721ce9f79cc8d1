import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createTemplateEnv, render, templates } from '../../grader/report/templates.js';

const root = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

function files(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

describe('templates', () => {
  it('registers every partial by name, and every partial used exists', () => {
    const env = templates();
    const all = files(join(root, 'templates'));
    // Handlebars templates say what they render; the platform files (a workflow, setup.sh) use
    // @NAME@ placeholders instead, since ${{ }} and $(...) clash with Handlebars; so does the
    // tree `sockgrade new` copies (code and JSON, where {{ }} is common).
    for (const f of all) expect(f).toMatch(/\.(html|txt|md)\.hbs$|^(github|gradescope)\/[^/]+$|^new-assignment\//);
    const partials = all.filter((f) => f.startsWith('partials/')).map((f) => f.replace(/^partials\//, '').replace(/\.\w+\.hbs$/, ''));
    for (const p of partials) expect(env.handlebars.partials[p], p).toBeDefined();
    for (const f of all) {
      const src = readFileSync(join(root, 'templates', f), 'utf8');
      for (const m of src.matchAll(/\{\{>\s*([\w-]+)/g)) expect(partials, `${f} uses ${m[1]}`).toContain(m[1]);
    }
  });

  it('never switches off escaping in HTML templates', () => {
    for (const f of files(join(root, 'templates')).filter((f) => f.endsWith('.html.hbs'))) {
      const src = readFileSync(join(root, 'templates', f), 'utf8');
      expect(src, f).not.toContain('{{{');
      expect(src, f).not.toMatch(/\{\{~?&/);
    }
  });

  it('colour helpers emit ANSI only when colour is on', () => {
    const env = createTemplateEnv(root);
    const tpl = env.handlebars.compile('{{red "x"}} {{#green}}y{{/green}} {{statusColor "timeout" "z"}} {{badge "failed" "FAIL"}}', {
      noEscape: true,
    });
    expect(tpl({}, { data: { color: false } })).toBe('x y z  FAIL ');
    const on = tpl({}, { data: { color: true } });
    expect(on).toContain('\x1b[31mx\x1b[39m');
    expect(on).toContain('\x1b[32my\x1b[39m');
    expect(on).toContain('\x1b[33mz\x1b[39m');
  });

  it('has helpers for bytes, durations, points, percents and plurals', () => {
    const env = createTemplateEnv(root);
    const tpl = env.handlebars.compile(
      '{{bytes data}}|{{bytes data 5}}|{{duration 1432}}|{{points 2.5 4}}|{{percent 87.2}}|{{pluralize 3 "entry" "entries"}}',
      { noEscape: true },
    );
    expect(tpl({ data: Buffer.from('+OK\r\n').toString('base64') })).toBe(
      '"+OK\\r\\n"|"+OK\\r" … 1 more byte|1.4 s|2.5/4|87%|3 entries',
    );
  });

  it('escapes in HTML templates and not in the others', () => {
    expect(render('terminal-group', { title: '<b>' })).toBe('\n<b>\n');
    const env = createTemplateEnv(root);
    const [html] = [...env.files].filter(([, f]) => f.endsWith('.html.hbs')).map(([n]) => n);
    expect(html).toBeDefined();
  });
});

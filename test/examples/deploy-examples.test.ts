// The deployment examples (examples/, Dockerfile) cannot run here — no GitHub runner, no
// cluster, no Docker — so these tests check what can be checked on this machine: the YAML
// parses, the shard arithmetic agrees across every place it is written, the shell each one
// runs is valid and calls sockgrade with the right arguments (run for real with a stand-in
// for sockgrade that records its arguments and exit code), every flag it uses is one the
// real CLI accepts, and the Dockerfile copies files that exist and are not ignored.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { packageRoot } from '../../grader/paths.js';

const root = packageRoot;
const read = (p: string) => readFileSync(path.join(root, p), 'utf8');

/** `sockgrade <command> --help`, from the sources (once per command: it starts tsx). */
const helps = new Map<string, string>();
function help(command: string): string {
  if (!helps.has(command)) helps.set(command, runHelp(command));
  return helps.get(command)!;
}

function runHelp(command: string): string {
  return execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'grader/cli/main.ts'), command, '--help'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  });
}

/** The long flags a command line uses: `--shard`, `--out`, ... */
function flags(cmd: string): string[] {
  return [...new Set([...cmd.matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)].map((m) => m[1]))];
}

/**
 * Run a shell script with a stand-in for a program: a function that prints its arguments one
 * per line and returns `rc`. Returns the arguments of each call and the script's exit code.
 */
function runWithStandIn(shell: 'sh' | 'bash', script: string, fn: string, rc: number, env: Record<string, string>): { calls: string[][]; status: number } {
  const standIn = `${fn}() { printf 'CALL\\n'; for a in "$@"; do printf '%s\\n' "$a"; done; return ${rc}; }\n`;
  // GitHub Actions runs `run:` steps as `bash -eo pipefail`; a pod runs the args with `sh -c`.
  const opts = shell === 'bash' ? ['-eo', 'pipefail', '-c'] : ['-c'];
  const r = spawnSync(shell, [...opts, standIn + script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env }, timeout: 10_000 });
  const calls = r.stdout
    .split('CALL\n')
    .slice(1)
    .map((c) => c.split('\n').filter((l) => l !== ''));
  return { calls, status: r.status ?? -1 };
}

describe('examples/github-actions/batch-matrix.yml', () => {
  const wf = parse(read('examples/github-actions/batch-matrix.yml'));
  const shards = Number(wf.env.SHARDS);
  const grade = wf.jobs.grade;
  const step = (job: { steps: { name?: string; run?: string; uses?: string }[] }, pred: (s: { name?: string; run?: string; uses?: string }) => boolean) => {
    const s = job.steps.find(pred);
    expect(s).toBeDefined();
    return s!;
  };

  it('runs one grading job per shard, then a merge that needs them all', () => {
    expect(shards).toBeGreaterThan(1);
    expect(grade.strategy.matrix.shard).toEqual(Array.from({ length: shards }, (_, i) => i + 1));
    expect(grade.strategy['fail-fast']).toBe(false);
    expect(grade.needs).toBe('plan');
    expect(wf.jobs.merge.needs).toEqual(['plan', 'grade']);
    for (const job of Object.values(wf.jobs) as { steps: { uses?: string }[] }[]) {
      for (const s of job.steps) if (s.uses) expect(s.uses).toMatch(/^actions\/(checkout|setup-node|upload-artifact|download-artifact)@v4$/);
    }
  });

  it("grades its shard with the class's one seed, and keeps going when a submission errors", () => {
    const run = step(grade, (s) => /sockgrade\.js batch/.test(s.run ?? '')).run!;
    const env = { SEED: 'c0ffee', ASSIGNMENT: 'kv-server', SHARD: '3', SHARDS: String(shards) };
    const ok = runWithStandIn('bash', run, 'node', 1, env);
    expect(ok.status).toBe(0); // exit 1 = some submission errored: a result, not a failure
    expect(ok.calls).toEqual([
      ['../sockgrade/bin/sockgrade.js', 'batch', 'submissions', '--assignment', 'kv-server', '--shard', `3/${shards}`, '--seed', 'c0ffee', '--jobs', '4', '--out', '../out-3'],
    ]);
    expect(runWithStandIn('bash', run, 'node', 2, env).status).not.toBe(0);
    expect(runWithStandIn('bash', run, 'node', 3, env).status).not.toBe(0);
    const upload = step(grade, (s) => s.uses === 'actions/upload-artifact@v4') as unknown as { with: Record<string, string>; if: string };
    expect(upload.with.name).toBe('out-${{ matrix.shard }}');
    expect(upload.with.path).toBe('out-${{ matrix.shard }}');
    expect(upload.if).toBe('always()');
  });

  it('downloads every shard into its own folder and merges them', () => {
    const merge = wf.jobs.merge;
    const dl = step(merge, (s) => s.uses === 'actions/download-artifact@v4') as unknown as { with: Record<string, unknown> };
    expect(dl.with.pattern).toBe('out-*');
    expect(dl.with['merge-multiple']).toBeUndefined(); // each artifact in shards/<name>/
    const run = step(merge, (s) => /sockgrade\.js merge/.test(s.run ?? '')).run!;
    expect(run).toContain(`merge ${dl.with.path}/out-* --out class`);
    const upload = merge.steps.filter((s: { uses?: string }) => s.uses === 'actions/upload-artifact@v4');
    expect(upload.map((u: { with: { path: string } }) => u.with.path)).toEqual(['class']);
  });

  it('uses only flags the real CLI has', () => {
    const all = (Object.values(wf.jobs) as { steps: { run?: string }[] }[]).flatMap((j) => j.steps.map((s) => s.run ?? ''));
    const batchHelp = help('batch');
    const mergeHelp = help('merge');
    for (const f of flags(all.filter((r) => r.includes('sockgrade.js batch')).join('\n'))) expect(batchHelp, `--${f}`).toContain(`--${f}`);
    for (const f of flags(all.filter((r) => r.includes('sockgrade.js merge')).join('\n'))) expect(mergeHelp, `--${f}`).toContain(`--${f}`);
  });
});

describe('examples/kubernetes', () => {
  const docs = parseAllDocuments(read('examples/kubernetes/grade-job.yaml')).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS();
  });
  const job = docs.find((d) => d.kind === 'Job');
  const pvc = docs.find((d) => d.kind === 'PersistentVolumeClaim');
  const container = job.spec.template.spec.containers[0];
  const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
  const merge = parse(read('examples/kubernetes/merge-job.yaml'));

  it('is an Indexed Job with one pod per shard on a shared volume', () => {
    expect(job.apiVersion).toBe('batch/v1');
    expect(job.spec.completionMode).toBe('Indexed');
    expect(job.spec.completions).toBe(Number(env.SHARDS));
    expect(job.spec.parallelism).toBe(Number(env.SHARDS));
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    // Student programs run in the pod: no API token, not root.
    expect(job.spec.template.spec.automountServiceAccountToken).toBe(false);
    expect(job.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    for (const j of [job, merge]) {
      const claim = j.spec.template.spec.volumes.find((v: { persistentVolumeClaim?: unknown }) => v.persistentVolumeClaim);
      expect(claim.persistentVolumeClaim.claimName).toBe(pvc.metadata.name);
    }
  });

  it('turns JOB_COMPLETION_INDEX into --shard index+1/N, and fails only on real errors', () => {
    const script = container.args[0];
    const base = { ...env, JOB_COMPLETION_INDEX: '0' };
    for (const index of [0, Number(env.SHARDS) - 1]) {
      const r = runWithStandIn('sh', script, 'sockgrade', 1, { ...base, JOB_COMPLETION_INDEX: String(index) });
      expect(r.status).toBe(0);
      expect(r.calls).toEqual([
        ['batch', '/data/submissions', '--assignment', env.ASSIGNMENT, '--shard', `${index + 1}/${env.SHARDS}`, '--seed', env.SEED, '--jobs', env.JOBS, '--out', `/data/out/shard-${index + 1}`],
      ]);
    }
    expect(runWithStandIn('sh', script, 'sockgrade', 0, base).status).toBe(0);
    expect(runWithStandIn('sh', script, 'sockgrade', 2, base).status).toBe(2);
    expect(runWithStandIn('sh', script, 'sockgrade', 130, base).status).toBe(130);
    expect(flags(script).every((f) => help('batch').includes(`--${f}`))).toBe(true);
  });

  it('merges exactly the folders the shards wrote', () => {
    const script = merge.spec.template.spec.containers[0].args[0];
    const r = runWithStandIn('sh', script, 'sockgrade', 1, {});
    expect(r.status).toBe(0);
    // The glob is left as written when /data does not exist here; in the pod it expands to
    // every /data/out/shard-<k> the grade Job wrote (and not /data/out/class).
    expect(r.calls).toEqual([['merge', '/data/out/shard-*', '--out', '/data/out/class']]);
    expect(runWithStandIn('sh', script, 'sockgrade', 3, {}).status).toBe(3);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const ignored = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('builds from node:20-bookworm-slim with what a grade needs, and runs sockgrade', () => {
    expect(dockerfile.match(/^FROM node:20-bookworm-slim\b/gm)).toHaveLength(2);
    for (const pkg of ['python3', 'bubblewrap', 'dnsutils', 'tini']) expect(dockerfile).toMatch(new RegExp(`apt-get install[^\\n]*\\b${pkg}\\b`));
    expect(dockerfile).toContain('npm ci --omit=dev');
    expect(dockerfile).toContain('COPY --from=build /src/dist dist');
    expect(dockerfile).toMatch(/^ENTRYPOINT \["tini", "--", "sockgrade"\]$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1].split(/\s+/));
    expect(sources.length).toBeGreaterThan(5);
    for (const src of sources) {
      expect(existsSync(path.join(root, src)), src).toBe(true);
      expect(ignored.some((pattern) => pattern === src || pattern === src.split('/')[0]), `${src} is ignored`).toBe(false);
    }
    // What the compiled grader reads at run time is copied into the image.
    for (const needed of ['bin', 'assignments', 'templates', 'package.json']) expect(sources).toContain(needed);
  });
});

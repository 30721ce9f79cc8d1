// The command line: commander wiring only — parse, call, print, exit code.
import fs from 'node:fs';
import path from 'node:path';
import { Argument, Command, CommanderError, Option } from 'commander';
import { ConfigError } from '../errors.js';
import { PACK_VAR, packageVersion } from '../paths.js';
import { EXIT } from './exit-codes.js';
import { SANDBOX_HELP } from './sandbox-option.js';

const PACK_HELP = `the course pack with the hidden tests, for official grading where this installation has none (also ${PACK_VAR})`;

// Commands load their modules when they run, so `--help` and `--version` start instantly.

const collect = (v: string, prev: string[] = []) => [...prev, v];

// `sockgrade grade | head` closes stdout early: stop printing, but finish grading and write
// the reports (an unhandled EPIPE would kill the grader and lose the results).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
}

function program(): Command {
  const cli = new Command('sockgrade')
    .description('Grade socket-programming assignments with black-box tests over real sockets.')
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  cli
    .command('grade')
    .description('grade a submission folder (the one holding sockgrade.json)')
    .argument('[dir]', 'submission folder', '.')
    .option('-a, --assignment <id>', 'grade as this assignment, whatever sockgrade.json says')
    .option('-r, --report-dir <dir>', 'where to write reports (default: <dir>/sockgrade-report)')
    .option('-f, --format <list>', 'report files to write: html, markdown, json, terminal, junit, gradescope (comma-separated)', 'html,markdown,json')
    .option('-o, --only <tests>', 'run only these tests or stages (comma-separated, repeatable)', collect)
    .option('-s, --seed <seed>', 'seed for every random choice; replays an earlier run')
    .option('-v, --verbose', 'show the transcript of passing tests too')
    .option('--fail-under <percent>', 'exit 0 when the score reaches this percentage, 1 otherwise (for CI)')
    .option('--official', 'official grading: run the hidden tests too (course staff)')
    .option('--pack <dir>', PACK_HELP)
    .option('--isolate', 'run every test on a freshly started program, as if each were graded alone with --only')
    .option('--sandbox <mode>', SANDBOX_HELP, 'auto')
    .option('-w, --watch', 'grade again whenever a file of the submission changes (failing tests first), until Ctrl-C')
    .action(async (dir: string, opts) => {
      const { gradeCommand } = await import('./grade-command.js');
      process.exitCode = await gradeCommand(dir, opts);
    });

  cli
    .command('batch')
    .description('grade a whole class: every subfolder of <folder> is one submission, named by the student\'s id')
    .argument('<folder>', 'folder with one subfolder per submission')
    .option('-o, --out <dir>', 'output folder: per-student reports, gradebook.csv, summary.html', 'sockgrade-batch')
    .option('-a, --assignment <id>', 'grade every submission as this assignment, whatever its sockgrade.json says')
    .option('-j, --jobs <n>', 'submissions graded at once (default: 2 per core, at most 8)')
    .option('--roster <csv>', 'CSV with columns id,name,email: names and emails for the gradebook')
    .option('--shard <i/n>', 'grade only slice i of n (for a matrix of machines; join with `sockgrade merge`)')
    .option('-s, --seed <seed>', 'seed for every submission (default: a new one; a resumed batch keeps its own)')
    .option('--no-official', 'grade as students see it: leave the hidden tests out (a batch is official grading by default)')
    .option('--pack <dir>', PACK_HELP)
    .option('--force', 'grade every submission again, even those an earlier run finished')
    .option('--isolation <mode>', 'auto | netns | none: a network namespace per grader worker when the machine offers one', 'auto')
    .option('--sandbox <mode>', SANDBOX_HELP, 'auto')
    .option('--similarity-threshold <0..1>', 'report pairs of submissions whose code (starter excluded) is at least this similar (default 0.5)')
    .option('--no-similarity', 'skip the similarity report (similarity.html, for course staff)')
    .action(async (folder: string, opts) => {
      const { batchCommand } = await import('./batch-command.js');
      process.exitCode = await batchCommand(folder, opts);
    });

  // Internal: the batch's grader worker (reads jobs on stdin). Not for people.
  cli.command('__batch-worker', { hidden: true }).action(async () => {
    const { workerMain } = await import('../batch/worker-main.js');
    await workerMain();
  });

  cli
    .command('merge')
    .description('join the output folders of batch shards into one gradebook and class summary')
    .argument('<outs...>', 'output folders written by `sockgrade batch --shard`')
    .requiredOption('-o, --out <dir>', 'folder for the merged output')
    .action(async (outs: string[], opts: { out: string }) => {
      const { mergeCommand } = await import('./batch-command.js');
      process.exitCode = mergeCommand(outs, opts);
    });

  cli
    .command('validate')
    .description('check assignments before release: solutions score full marks, starters start and score below, every scenario fails exactly what it declares, every test is caught, points add up, the handout names every stage')
    .argument('[ids...]', 'assignment ids (default: all)')
    .option('-j, --jobs <n>', 'programs graded at once (default: the cores; 1 for peers assignments)')
    .option('--only <kinds>', 'grade only these kinds: solutions, starters, scenarios, counterparts (comma-separated)')
    .option('--json', 'print the findings as JSON')
    .option('--no-alone', 'skip grading each program a second time with every test on a fresh program (the check that no verdict depends on an earlier test)')
    .option('--pack <dir>', PACK_HELP)
    .action(async (ids: string[], opts) => {
      const { validateCommand } = await import('./validate-command.js');
      process.exitCode = await validateCommand(ids, opts);
    });

  cli
    .command('new')
    .description('scaffold a new assignment: assignments/<id>/, starter/<id>/, solutions/<id>/, test/scenarios/<id>/ with a working minimal example')
    .argument('<id>', 'the new assignment\'s id (lower-case letters, digits, dashes)')
    .option('--title <title>', 'its title')
    .action(async (id: string, opts: { title?: string }) => {
      const { newCommand } = await import('./new-command.js');
      process.exitCode = await newCommand(id, opts);
    });

  cli
    .command('doctor')
    .description('what this machine offers the grader: isolation for batches, interpreters, tools')
    .action(async () => {
      const { doctorCommand } = await import('./doctor-command.js');
      process.exitCode = await doctorCommand();
    });

  cli
    .command('list')
    .description('list the assignments')
    .action(async () => {
      const { listAssignments } = await import('../assignment/load.js');
      for (const a of listAssignments()) {
        const tests = a.groups.flatMap((g) => g.tests);
        const points = tests.reduce((s, t) => s + t.points, 0);
        console.log(`${a.id.padEnd(14)} ${a.title}  (${tests.length} tests, ${points} points, ${a.groups.length} stages)`);
      }
    });

  cli
    .command('init')
    .description('start a submission from a starter')
    .argument('<assignment>', 'assignment id (see `sockgrade list`)')
    .argument('<dir>', 'new folder to create')
    .addOption(new Option('-l, --lang <lang>', 'starter language').choices(['python', 'typescript', 'c']).default('python'))
    .option('--fail-under <percent>', 'the GitHub Actions check written to .github/workflows/sockgrade.yml fails below this score', '100')
    .action(async (assignment: string, dir: string, opts: { lang: string; failUnder: string }) => {
      const { initCommand } = await import('./init-command.js');
      const to = initCommand(assignment, dir, opts.lang, { failUnder: opts.failUnder });
      const rel = path.relative(process.cwd(), to) || '.';
      console.log(`Created ${rel} from the ${opts.lang} starter for ${assignment}.`);
      console.log('Next:');
      console.log(`  cd ${rel}`);
      if (opts.lang === 'typescript') console.log('  npm install            # once: TypeScript and Node types for your editor and the build');
      console.log('  npx sockgrade grade .  # run the tests; the report lands in sockgrade-report/');
      console.log(`On GitHub, .github/workflows/sockgrade.yml grades every push (the check fails below ${opts.failUnder}%).`);
    });

  cli
    .command('export')
    .description('build what a grading platform needs to run sockgrade')
    .addArgument(new Argument('<platform>', 'the platform').choices(['gradescope']))
    .argument('<assignment>', 'assignment id (see `sockgrade list`)')
    .option('-o, --out <file>', 'the zip to write (default: sockgrade-gradescope-<assignment>.zip)')
    .option('--apt <packages>', 'more Ubuntu packages for setup.sh to install (comma-separated)')
    .option('--pack <dir>', PACK_HELP)
    .action(async (platform: string, assignment: string, opts: { out?: string; apt?: string }) => {
      const { exportCommand } = await import('./export-command.js');
      exportCommand(platform, assignment, opts);
    });

  cli
    .command('pack')
    .description('write the course pack: the compiled hidden tests of every assignment, which the package students install leaves out (course staff)')
    .requiredOption('-o, --out <dir>', 'the folder to write (<assignment>/hidden.js in it)')
    .action(async (opts: { out: string }) => {
      const { packCommand } = await import('./pack-command.js');
      process.exitCode = packCommand(opts);
    });

  // --pack names the course pack for everything after it, this process and the graders it
  // starts (a batch's workers, the grade re-run in its own namespace): as SOCKGRADE_PACK.
  cli.hook('preAction', (_cli, action) => {
    const pack = action.opts().pack as string | undefined;
    if (pack === undefined) return;
    if (!fs.statSync(pack, { throwIfNoEntry: false })?.isDirectory()) throw new ConfigError(`--pack: ${path.resolve(pack)} is not a folder`, 'Name the folder `sockgrade pack --out <folder>` wrote.');
    process.env[PACK_VAR] = path.resolve(pack);
  });
  return cli;
}

try {
  await program().parseAsync(process.argv);
  // Exit once the output is flushed, even if something a student program did left a handle
  // open (a socket in an odd state must not keep the grader alive after its report is out).
  process.stdout.write('', () => process.exit(process.exitCode ?? 0));
} catch (e) {
  if (e instanceof CommanderError) {
    // commander already printed the message (or the help/version text).
    process.exitCode = e.exitCode === 0 ? 0 : EXIT.config;
  } else if (e instanceof ConfigError) {
    process.stderr.write(`sockgrade: ${e.message}\n${e.fix ? e.fix + '\n' : ''}`);
    process.exitCode = EXIT.config;
  } else {
    const err = e as Error;
    process.stderr.write(`sockgrade: internal error: ${err?.message ?? String(e)}\n`);
    if (process.env.SOCKGRADE_DEBUG) process.stderr.write(`${err?.stack}\n`);
    else process.stderr.write('This is a bug in sockgrade, not in your program. Set SOCKGRADE_DEBUG=1 for details and please report it.\n');
    process.exitCode = EXIT.internal;
  }
}

// `sockgrade new <id>`: scaffold an assignment and say what to do next.
import { scaffoldAssignment } from '../assignment/scaffold.js';
import { packageRoot, runningCompiled } from '../paths.js';
import { EXIT } from './exit-codes.js';

export async function newCommand(id: string, opts: { title?: string }): Promise<number> {
  const made = scaffoldAssignment(id, opts.title);
  const out = [`Created the assignment "${id}" in ${packageRoot}:`, ...made.folders.map((f) => `  ${f}/`), '', 'Next:'];
  if (runningCompiled) out.push('  npm run build                 # compiles assignments/*/tests.ts (the CLI runs the compiled tests)');
  out.push(
    `  npx sockgrade validate ${id}    # the example passes: solution 100%, starter below, each scenario fails what it declares`,
    `  then replace the example: assignments/${id}/assignment.json (tests, points), tests.ts, handout.md,`,
    `  solutions/${id}/, starter/${id}/ and test/scenarios/${id}/ (one folder per classic bug). docs/authoring.md explains each part.`,
  );
  process.stdout.write(out.join('\n') + '\n');
  return EXIT.passed;
}

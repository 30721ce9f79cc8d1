// One door for assignments: an assignment's code imports the grader only through the public
// authoring API (grader/authoring.ts) and the protocol kits (grader/kits/), so the engine can
// change behind them and the next assignment cannot reach around the API. `npm test` runs it.
import tseslint from 'typescript-eslint';

const ONE_DOOR = {
  patterns: [
    {
      regex: '(^|/)grader/(?!authoring\\.js$|kits/[a-z-]+\\.js$)',
      message: 'Assignments import the grader only from grader/authoring.js and the protocol kits in grader/kits/ (see docs/authoring.md). If a test needs more, export it from there.',
    },
  ],
};

export default tseslint.config({
  files: ['assignments/**/*.ts', 'templates/new-assignment/assignments/**/*.ts'],
  languageOptions: { parser: tseslint.parser },
  plugins: { '@typescript-eslint': tseslint.plugin },
  rules: {
    'no-restricted-imports': ['error', ONE_DOOR],
    '@typescript-eslint/no-restricted-imports': 'off',
  },
});

// The project's broken scenarios and engine fixtures import shared code from a sibling folder
// (test/scenarios/<assignment>/_base, test/fixtures/engine/_lib) instead of repeating it. The
// sandbox shows a program nothing outside its own folder, so the tests name those folders as
// course code the programs may read, as a course with a shared library would
// (SOCKGRADE_SANDBOX_READONLY; batch workers inherit it).
import { sharedCode } from './programs.js';

sharedCode();

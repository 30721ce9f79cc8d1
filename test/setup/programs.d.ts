// Types of programs.js (plain JavaScript, shared with bench/*.js).
/** Put the real python3 (not a version manager's shim) first on PATH, under its own name. */
export function fastPython(): void;
/** Name the scenarios' and fixtures' shared code (_base, _lib) as folders the sandbox may show. */
export function sharedCode(): void;

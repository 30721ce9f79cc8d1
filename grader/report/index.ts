// The report layer: every format is a pure function of a Results value.
export { renderTestLine, renderGroupHeader, renderTerminalSummary, renderTerminal, lineWidths, DEFAULT_WIDTHS } from './terminal.js';
export type { TestLineOptions, TerminalOptions, LineWidths } from './terminal.js';
export { renderHtml } from './html.js';
export { renderMarkdown } from './markdown.js';
export type { MarkdownOptions } from './markdown.js';
export { renderJson } from './json.js';
export { writeReports, checkFormats, REPORT_FILES, REPORT_FORMATS } from './write.js';
export { renderJunit, xmlText, xmlAttr } from './junit.js';
export { renderGradescope, gradescopeResults, gradescopeFailure, withNote } from './gradescope.js';
export type { GradescopeResults, GradescopeTest } from './gradescope.js';
export { githubOutputs, githubAnnotations, escapeData, escapeProperty } from './github.js';
export { plainDetails } from './plain-details.js';
export type { ReportFormat, WrittenReport, WriteOptions } from './write.js';
export { formatDuration, formatPoints, formatPercent } from './format.js';

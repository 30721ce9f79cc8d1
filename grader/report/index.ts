// The report layer: every format is a pure function of a Results value.
export { renderTestLine, renderGroupHeader, renderTerminalSummary, renderTerminal, lineWidths, DEFAULT_WIDTHS } from './terminal.js';
export type { TestLineOptions, TerminalOptions, LineWidths } from './terminal.js';
export { renderHtml } from './html.js';
export { renderMarkdown } from './markdown.js';
export type { MarkdownOptions } from './markdown.js';
export { renderJson } from './json.js';
export { writeReports, REPORT_FILES } from './write.js';
export type { ReportFormat, WrittenReport, WriteOptions } from './write.js';
export { formatDuration, formatPoints, formatPercent } from './format.js';

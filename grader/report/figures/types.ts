// What drawing one figure yields: the SVG (every results string already escaped inside it) and
// the plain-text parts of its caption (escaped by whoever writes them into a page).
export interface Drawn {
  kind: 'topology' | 'spread' | 'sequence';
  title: string;
  /** One sentence: how to read the picture. */
  reading: string;
  /** Short facts and what was left out to keep the picture readable. */
  notes: string[];
  svg: string;
}

import { describe, expect, it } from 'vitest';
import { drawFigure, renderFigure } from '../../grader/report/figures/index.js';
import { MAX_ARROWS } from '../../grader/report/figures/sequence.js';
import { MAX_CURVES } from '../../grader/report/figures/spread.js';
import { renderHtml, renderMarkdown, renderTerminal, renderTerminalSummary } from '../../grader/report/index.js';
import { SequenceFigure, SpreadFigure, TopologyFigure, type Figure } from '../../grader/results/schema.js';
import { gossipRun, gridTopology, ringTopology, sequenceFigure, spreadFigure } from './figure-fixtures.js';

// ---------------------------------------------------------------------------------------------
// A tiny XML reader, strict enough to prove the markup well-formed: every tag closed in order,
// attributes quoted and unique, no raw `<` in text, `&` only in the entities we write.

interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: Array<XmlNode | string>;
}

const ENTITY = /&(amp|lt|gt|quot|#39|#\d+|#x[0-9a-fA-F]+);/g;

function check(ok: unknown, what: string): void {
  if (!ok) throw new Error(`not well-formed: ${what}`);
}

function decode(s: string): string {
  check(!s.replace(ENTITY, '').includes('&'), `stray & in ${JSON.stringify(s)}`);
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

function parseXml(src: string): XmlNode {
  const root: XmlNode = { name: '#root', attrs: {}, children: [] };
  const stack: XmlNode[] = [root];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[a-zA-Z_:][\w:.-]*="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const textEnd = lt < 0 ? src.length : lt;
    if (textEnd > i) {
      const t = src.slice(i, textEnd);
      check(!t.includes('>'), `> in text ${JSON.stringify(t)}`);
      stack[stack.length - 1].children.push(decode(t));
    }
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(src);
    check(m, `a tag at ${JSON.stringify(src.slice(lt, lt + 80))}`);
    const [whole, close, name, attrText, selfClose] = m as RegExpExecArray;
    if (close) {
      check(attrText + selfClose === '', `</${name}> with attributes`);
      const open = stack.pop();
      check(open?.name === name, `</${name}> closes <${open?.name}>`);
    } else {
      const attrs: Record<string, string> = {};
      for (const a of attrText.matchAll(/([a-zA-Z_:][\w:.-]*)="([^"<]*)"/g)) {
        check(!(a[1] in attrs), `attribute ${a[1]} twice on <${name}>`);
        attrs[a[1]] = decode(a[2]);
      }
      const node: XmlNode = { name, attrs, children: [] };
      stack[stack.length - 1].children.push(node);
      if (!selfClose) stack.push(node);
    }
    i = lt + whole.length;
  }
  check(stack.length === 1, `unclosed: ${stack.map((n) => n.name).join(' > ')}`);
  return root;
}

function all(n: XmlNode, pred: (n: XmlNode) => boolean, out: XmlNode[] = []): XmlNode[] {
  if (pred(n)) out.push(n);
  for (const c of n.children) if (typeof c !== 'string') all(c, pred, out);
  return out;
}

/** The picture without its legend (whose samples use the same classes). */
function drawing(svg: XmlNode): XmlNode {
  return { ...svg, children: svg.children.filter((c) => typeof c === 'string' || !hasClass(c, 'legend')) };
}

function textOf(n: XmlNode): string {
  return n.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}

const hasClass = (n: XmlNode, c: string): boolean => (n.attrs.class ?? '').split(' ').includes(c);
/** The tooltip of a group or shape. */
const tip = (n: XmlNode): string => {
  const t = n.children.find((c): c is XmlNode => typeof c !== 'string' && c.name === 'title');
  return t ? textOf(t) : '';
};

/** Draw, check the SVG is one well-formed <svg> with sane size, and return its tree. */
function svgOf(fig: Figure): { svg: XmlNode; full: XmlNode; raw: string; drawn: ReturnType<typeof drawFigure> } {
  const drawn = drawFigure(fig);
  const root = parseXml(drawn.svg);
  expect(root.children.length).toBe(1);
  const svg = root.children[0] as XmlNode;
  expect(svg.name).toBe('svg');
  const [x, y, w, h] = svg.attrs.viewBox.split(' ').map(Number);
  expect([x, y]).toEqual([0, 0]);
  expect(w).toBeGreaterThan(100);
  expect(h).toBeGreaterThan(50);
  expect(Number(svg.attrs.width)).toBe(w);
  expect(Number(svg.attrs.height)).toBe(h);
  expect(drawn.svg).not.toMatch(/NaN|Infinity|undefined/);
  return { svg: drawing(svg), full: svg, raw: drawn.svg, drawn };
}

const HOSTILE_ID = '</svg><script>alert(1)</script>';
const HOSTILE_LABEL = `"'><img src=x onerror=alert(2)>&amp;\x1b[31m`;

describe('figures: topology', () => {
  it('draws every peer and one arrow per directed link, with counts, as well-formed SVG', () => {
    const fig = gridTopology(5);
    const { svg } = svgOf(fig);
    const peers = all(svg, (n) => n.name === 'g' && hasClass(n, 'pe'));
    expect(peers.map(tip)).toEqual(fig.peers.map((p) => p.id));
    const links = all(svg, (n) => n.name === 'g' && hasClass(n, 'lk'));
    expect(links.length).toBe(fig.links.length);
    expect(links.every((l) => all(l, (n) => n.name === 'polygon').length === 1)).toBe(true);
    // Every count is written on the 5×5 grid: there is room for all of them.
    const counts = all(svg, (n) => n.name === 'text' && hasClass(n, 'cnt')).map(textOf);
    expect(counts.length).toBe(fig.links.length);
    const n7n8 = fig.links.find((l) => l.from === 'n7' && l.to === 'n8');
    expect(counts).toContain(String(n7n8?.lines));
  });

  it('is thicker for more traffic', () => {
    const fig = TopologyFigure.parse({
      kind: 'topology',
      title: 't',
      peers: [
        { id: 'a', x: 0, y: 0 },
        { id: 'b', x: 1, y: 0 },
        { id: 'c', x: 0.5, y: 1 },
      ],
      links: [
        { from: 'a', to: 'b', lines: 1000, bytes: 1 },
        { from: 'b', to: 'c', lines: 10, bytes: 1 },
        { from: 'c', to: 'a', lines: 0, bytes: 0 },
      ],
    });
    const { svg } = svgOf(fig);
    const width = (from: string) => {
      const g = all(svg, (n) => n.name === 'g' && hasClass(n, 'lk') && tip(n).startsWith(`${from} →`))[0];
      return { w: Number(all(g, (n) => n.name === 'line')[0].attrs['stroke-width']), cls: g.attrs.class };
    };
    expect(width('a').w).toBeGreaterThan(width('b').w);
    expect(width('b').w).toBeGreaterThan(width('c').w - 0.01);
    expect(width('c').cls).toContain('idle');
  });

  it('draws links that carried nothing dotted, without a 0 on each', () => {
    const fig = gridTopology(3);
    for (const l of fig.links) if (l.from !== 'n0') l.lines = 0;
    const { svg, full } = svgOf(fig);
    const idle = all(svg, (n) => n.name === 'g' && hasClass(n, 'lk') && hasClass(n, 'idle'));
    expect(idle.length).toBe(fig.links.length - 2);
    expect(all(svg, (n) => n.name === 'text' && hasClass(n, 'cnt')).length).toBe(2);
    expect(textOf(all(full, (n) => hasClass(n, 'legend'))[0])).toContain('nothing sent');
  });

  it('draws the highlighted link and peer in their own colour, and only those', () => {
    const fig = gridTopology(5, { highlight: ['n7->n8', 'n13'] });
    const { svg, full, drawn } = svgOf(fig);
    const hl = all(svg, (n) => n.name === 'g' && hasClass(n, 'lk') && hasClass(n, 'hl'));
    expect(hl.map(tip)).toEqual([expect.stringMatching(/^n7 → n8: \d+ lines/)]);
    const back = all(svg, (n) => n.name === 'g' && hasClass(n, 'lk') && tip(n).startsWith('n8 → n7'))[0];
    expect(hasClass(back, 'hl')).toBe(false);
    // Thicker than the same traffic unhighlighted, and its count is written in the strong colour.
    const { svg: plain, full: plainFull } = svgOf(gridTopology(5));
    const sw = (root: XmlNode) =>
      Number(all(all(root, (n) => n.name === 'g' && hasClass(n, 'lk') && tip(n).startsWith('n7 → n8'))[0], (n) => n.name === 'line')[0].attrs['stroke-width']);
    expect(sw(svg)).toBeGreaterThan(sw(plain));
    expect(all(svg, (n) => n.name === 'text' && hasClass(n, 'cnt') && hasClass(n, 'hl')).length).toBe(1);
    const peers = all(svg, (n) => n.name === 'g' && hasClass(n, 'pe') && hasClass(n, 'hl'));
    expect(peers.map(tip)).toEqual(['n13']);
    expect(all(peers[0], (n) => hasClass(n, 'ring')).length).toBe(1);
    expect(drawn.reading).toContain('orange');
    // The legend explains the colour only when it is used.
    expect(textOf(all(full, (n) => hasClass(n, 'legend'))[0])).toContain('named by the failure');
    expect(textOf(all(plainFull, (n) => hasClass(n, 'legend'))[0])).not.toContain('named by the failure');
  });

  it('draws a highlighted link that carried nothing (the usual reason it is named)', () => {
    const fig = TopologyFigure.parse({
      kind: 'topology',
      title: 't',
      peers: [
        { id: 'n4', x: 0, y: 0.5 },
        { id: 'n5', x: 1, y: 0.5 },
      ],
      links: [{ from: 'n5', to: 'n4', lines: 7, bytes: 70 }],
      highlight: ['n4->n5'],
    });
    const { svg } = svgOf(fig);
    const hl = all(svg, (n) => n.name === 'g' && hasClass(n, 'hl') && hasClass(n, 'lk'));
    expect(hl.map(tip)).toEqual(['n4 → n5: 0 lines, 0 B (nothing was sent)']);
  });

  it('marks links with dropped lines and crashed peers', () => {
    const fig = gridTopology(5, { crashed: ['n19'], cut: ['n2', 'n3'] });
    const { svg, drawn } = svgOf(fig);
    const drop = all(svg, (n) => n.name === 'g' && hasClass(n, 'lk') && hasClass(n, 'drop'));
    expect(drop.map(tip)).toEqual([expect.stringMatching(/^n2 → n3: \d+ lines, .*, \d+ dropped$/)]);
    expect(all(svg, (n) => n.name === 'tspan' && hasClass(n, 'dropn')).map(textOf)).toEqual([expect.stringMatching(/^✕\d+$/)]);
    const crashed = all(svg, (n) => n.name === 'g' && hasClass(n, 'pe') && hasClass(n, 'crashed'));
    expect(crashed.map(tip)).toEqual(['n19 (crashed)']);
    expect(all(crashed[0], (n) => hasClass(n, 'badge')).length).toBe(1);
    expect(drawn.notes[0]).toMatch(/^25 peers, 80 directed links, [\d,]+ lines \(.*\), \d+ dropped, 1 crashed peer\.$/);
  });

  it('stays readable with 50 peers: nodes apart, counts only where they fit, the rest said', () => {
    const fig = ringTopology(50);
    const { svg, raw, drawn } = svgOf(fig);
    const circles = all(svg, (n) => n.name === 'circle' && n.attrs.r !== undefined && !hasClass(n, 'ring') && n.attrs.cx !== undefined);
    const nodes = all(svg, (n) => n.name === 'g' && hasClass(n, 'pe')).map((g) => all(g, (c) => c.name === 'circle')[g.attrs.class.includes('hl') ? 1 : 0]);
    expect(nodes.length).toBe(50);
    for (let i = 0; i < nodes.length; i++)
      for (let j = i + 1; j < nodes.length; j++) {
        const [a, b] = [nodes[i].attrs, nodes[j].attrs];
        expect(Math.hypot(+a.cx - +b.cx, +a.cy - +b.cy)).toBeGreaterThan(+a.r + +b.r);
      }
    expect(circles.length).toBeGreaterThanOrEqual(50);
    // Labels never overlap each other.
    const boxes = all(svg, (n) => n.name === 'text' && hasClass(n, 'cnt')).map((t) => {
      const w = textOf(t).length * 6;
      return [+t.attrs.x - w / 2, +t.attrs.y - 8, +t.attrs.x + w / 2, +t.attrs.y];
    });
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i], boxes[j]];
        expect(a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3], `labels ${i} and ${j} overlap`).toBe(false);
      }
    expect(drawn.notes.join(' ')).toMatch(/\d+ counts left off where arrows are too short or crowded/);
    expect(raw.length).toBeLessThan(120_000);
  });

  it('escapes every string from the results', () => {
    const fig = TopologyFigure.parse({
      kind: 'topology',
      title: `${HOSTILE_ID} title`,
      peers: [
        { id: HOSTILE_ID, x: 0, y: 0 },
        { id: HOSTILE_LABEL, x: 1, y: 1, crashed: true },
      ],
      links: [{ from: HOSTILE_ID, to: HOSTILE_LABEL, lines: 3, bytes: 9, dropped: 1 }],
      highlight: [`${HOSTILE_ID}->${HOSTILE_LABEL}`, HOSTILE_LABEL],
    });
    const html = renderFigure(fig);
    expect(html).not.toMatch(/<script|<img/i);
    expect(html).not.toContain('\x1b');
    expect(html).toContain('&lt;/svg&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('\\x1b[31m');
    expect(html).toContain('&amp;amp;');
    const { svg } = svgOf(fig);
    // Escaped, not mangled: read back, the tooltips say exactly what the program said.
    const titles = all(svg, (n) => n.name === 'title').map(textOf);
    expect(titles).toContain(`${HOSTILE_ID} title`);
    expect(titles).toContain(HOSTILE_ID);
    expect(titles).toContain(`${HOSTILE_LABEL.replace('\x1b', '\\x1b')} (crashed)`);
    expect(parseXml(`<root>${html}</root>`).children.length).toBe(1);
  });

  it('a byte stream is drawn by bytes: who uploaded how much to whom', () => {
    const fig = TopologyFigure.parse({
      kind: 'topology',
      title: 'swarm',
      measure: 'bytes',
      peers: [
        { id: 'n1', x: 0, y: 0 },
        { id: 'n2', x: 1, y: 0 },
        { id: 'n3', x: 0.5, y: 1 },
      ],
      // Many small chunks one way, few big ones the other: thickness follows the bytes.
      links: [
        { from: 'n1', to: 'n2', lines: 900, bytes: 9_000, dropped: 0 },
        { from: 'n3', to: 'n1', lines: 40, bytes: 640 * 1024, dropped: 0 },
      ],
    });
    const drawn = drawFigure(fig);
    expect(drawn.reading).toMatch(/bytes one peer sent \(uploaded to\) another/);
    expect(drawn.notes[0]).not.toMatch(/line/);
    const { raw } = svgOf(fig);
    expect(raw).toContain('640 KiB');
    expect(raw).not.toContain('>900<');
    const width = (from: string) => Number(new RegExp(`<title>${from} → [^<]*</title>[\\s\\S]*?stroke-width="([\\d.]+)"`).exec(raw)?.[1]);
    expect(width('n3')).toBeGreaterThan(width('n1'));
  });

  it('handles no peers, one peer, and links to peers it does not know', () => {
    for (const fig of [
      TopologyFigure.parse({ kind: 'topology', title: 'none', peers: [], links: [] }),
      TopologyFigure.parse({ kind: 'topology', title: 'one', peers: [{ id: 'n0', x: 0.5, y: 0.5 }], links: [] }),
      TopologyFigure.parse({
        kind: 'topology',
        title: 'stray',
        peers: [{ id: 'n0', x: 0.5, y: 0.5 }],
        links: [{ from: 'n0', to: 'ghost', lines: 1, bytes: 1 }],
        highlight: ['n0->ghost', 'ghost'],
      }),
    ]) {
      const { svg, drawn } = svgOf(fig);
      expect(all(svg, (n) => hasClass(n, 'lk') && n.name === 'g').length).toBe(0);
      if (fig.title === 'none') expect(textOf(svg)).toContain('no peers');
      if (fig.title === 'stray') expect(drawn.notes).toContain('1 link to peers not on the map left out.');
    }
  });
});

describe('figures: spread', () => {
  it('draws one step line per value, the median, the bound, and axes with ticks', () => {
    const fig = spreadFigure(40, 25, { boundMs: 1300, missEvery: 9 });
    const { svg, drawn } = svgOf(fig);
    const curves = all(svg, (n) => n.name === 'path' && hasClass(n, 'sv'));
    expect(curves.length).toBe(40);
    expect(curves.filter((c) => hasClass(c, 'inc')).length).toBe(4); // values 8, 17, 26, 35
    expect(tip(curves[8])).toBe('value 8 from n8: reached 22 of 25 peers');
    expect(tip(curves[0])).toMatch(/^value 0 from n0: at every peer after \d+ ms$/);
    expect(curves.every((c) => /^M[\d.]+ [\d.]+(H[\d.]+V[\d.]+)*H[\d.]+$/.test(c.attrs.d))).toBe(true);
    expect(all(svg, (n) => n.name === 'path' && hasClass(n, 'med')).length).toBe(1);
    const bound = all(svg, (n) => n.name === 'line' && hasClass(n, 'bound'));
    expect(bound.length).toBe(1);
    expect(bound[0].attrs.x1).toBe(bound[0].attrs.x2);
    const texts = all(svg, (n) => n.name === 'text').map(textOf);
    expect(texts).toContain('bound 1.3 s');
    expect(texts).toContain('ms after the value was broadcast');
    expect(texts).toContain('peers that know it');
    expect(texts).toContain('all 25 peers');
    for (const t of ['0', '5', '10', '25', '500', '1,000']) expect(texts).toContain(t);
    expect(drawn.notes[0]).toMatch(/^36 of 40 values reached all 25 peers; median time to reach all: \d+ ms, slowest: \d+ ms\.$/);
  });

  it('puts the bound at its time on the x axis and the median where half the values are', () => {
    // Two values: one reaches 2 peers at 100 and 200 ms, the other at 300 and 400 ms.
    const fig = SpreadFigure.parse({
      kind: 'spread',
      title: 's',
      peerCount: 2,
      boundMs: 500,
      values: [
        { value: 1, origin: 'a', broadcastAtMs: 1000, learnedAtMs: [1100, 1200] },
        { value: 2, origin: 'b', broadcastAtMs: 2000, learnedAtMs: [2300, 2400] },
      ],
    });
    const { svg } = svgOf(fig);
    const tickX = (label: string) => Number(all(svg, (n) => n.name === 'text' && hasClass(n, 'tick') && textOf(n) === label)[0].attrs.x);
    const bound = all(svg, (n) => hasClass(n, 'bound') && n.name === 'line')[0];
    expect(Number(bound.attrs.x1)).toBeCloseTo(tickX('500'), 0);
    // Counts (A, B): 0,0 → 1,0 at 100 ms → 2,0 at 200 → 2,1 at 300 → 2,2 at 400; medians 0, .5, 1, 1.5, 2.
    const med = all(svg, (n) => hasClass(n, 'med') && n.name === 'path')[0].attrs.d;
    const xs = [...med.matchAll(/H([\d.]+)/g)].map((m) => Number(m[1]));
    const ys = [...med.matchAll(/V([\d.]+)/g)].map((m) => Number(m[1]));
    // (at pixel resolution: within one pixel)
    ['100', '200', '300', '400'].forEach((t, i) => expect(Math.abs(xs[i] - tickX(t))).toBeLessThanOrEqual(1));
    const tickY = (label: string) => Number(all(svg, (n) => n.name === 'text' && hasClass(n, 'tick') && textOf(n) === label)[0].attrs.y) - 4;
    const [y0, y2] = [tickY('0'), tickY('2')];
    expect(ys.map((y) => Math.round(((y0 - y) / (y0 - y2)) * 4) / 2)).toEqual([0.5, 1, 1.5, 2]);
  });

  it('names a bound far beyond every arrival at the edge rather than squeezing the curves into a corner', () => {
    const fig = SpreadFigure.parse({
      kind: 'spread',
      title: 's',
      peerCount: 3,
      boundMs: 3500,
      values: [{ value: 1, origin: 'n1', broadcastAtMs: 100, learnedAtMs: [100, 180, 300] }],
    });
    const { svg, drawn } = svgOf(fig);
    expect(all(svg, (n) => n.name === 'line' && hasClass(n, 'bound')).length).toBe(0);
    expect(all(svg, (n) => n.name === 'text').map(textOf)).toContain('bound 3.5 s →');
    const ticks = all(svg, (n) => n.name === 'text' && hasClass(n, 'tick')).map((n) => Number(textOf(n).replace(/,/g, '')));
    expect(Math.max(...ticks)).toBeLessThan(1000);
    expect(drawn.reading).toContain('beyond the right edge');
  });

  it(`draws at most ${MAX_CURVES} curves, the slow ones always among them, and says so`, () => {
    const fig = spreadFigure(150, 10, { boundMs: 2000, missEvery: 20 });
    const { svg, drawn } = svgOf(fig);
    const curves = all(svg, (n) => n.name === 'path' && hasClass(n, 'sv'));
    expect(curves.length).toBe(MAX_CURVES);
    expect(curves.filter((c) => hasClass(c, 'inc')).length).toBe(7);
    expect(drawn.notes.join(' ')).toContain('100 of 150 values drawn');
  });

  it('handles no values, one peer, and times before the broadcast', () => {
    const none = svgOf(SpreadFigure.parse({ kind: 'spread', title: 'none', peerCount: 25, values: [] }));
    expect(textOf(none.svg)).toContain('no values were broadcast');
    expect(all(none.svg, (n) => hasClass(n, 'med')).length).toBe(0);
    expect(none.drawn.notes).toEqual([]);
    const one = svgOf(
      SpreadFigure.parse({
        kind: 'spread',
        title: 'one',
        peerCount: 1,
        boundMs: 0,
        values: [{ value: 1, origin: 'n0', broadcastAtMs: 50, learnedAtMs: [40] }],
      }),
    );
    expect(one.drawn.notes[0]).toBe('1 of 1 value reached the one peer; median time to reach all: 0 ms, slowest: 0 ms.');
    expect(textOf(one.svg)).toContain('the one peer');
  });

  it('escapes its title', () => {
    const html = renderFigure(SpreadFigure.parse({ kind: 'spread', title: HOSTILE_ID, peerCount: 3, values: [] }));
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;/svg&gt;&lt;script&gt;');
  });
});

describe('figures: sequence', () => {
  it('draws lifelines, arrows from send to delivery, drops, bands, crashes and markers', () => {
    const fig = sequenceFigure({ omitted: 37 });
    const { svg, drawn } = svgOf(fig);
    const heads = all(svg, (n) => n.name === 'g' && hasClass(n, 'lh')).map(tip);
    expect(heads.slice(0, 5)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    const arrows = all(svg, (n) => n.name === 'g' && hasClass(n, 'msg'));
    expect(arrows.length).toBe(fig.messages.length);
    const dropped = arrows.filter((a) => hasClass(a, 'drop'));
    expect(dropped.length).toBe(fig.messages.filter((m) => m.dropped).length);
    expect(dropped.every((a) => all(a, (n) => hasClass(n, 'x')).length === 1)).toBe(true);
    expect(arrows.filter((a) => hasClass(a, 'lost')).length).toBe(fig.messages.filter((m) => !m.dropped && m.deliveredAtMs === undefined).length);
    // A delivered arrow runs downwards from the sender's lifeline to the receiver's.
    const lx = (p: string) => Number(all(all(svg, (n) => hasClass(n, 'lh') && tip(n) === p)[0], (n) => n.name === 'text')[0].attrs.x);
    const first = fig.messages[0];
    const line = all(arrows[0], (n) => n.name === 'line')[0].attrs;
    expect(tip(arrows[0])).toContain(`${first.from} → ${first.to}`);
    expect(Number(line.x1)).toBeCloseTo(lx(first.from), 0);
    expect(Number(line.y2)).toBeGreaterThan(Number(line.y1));
    // Faults: the partition band ends at the heal; the crash makes the lifeline dashed.
    const marksText = all(svg, (n) => n.name === 'text' && hasClass(n, 'mk-t')).map(textOf);
    // The kind is said once: `cut n1->n2`, not `cut: cut n1->n2`.
    expect(marksText).toEqual(expect.arrayContaining(['partition: {n0,n1} | {n2,n3,n4}', 'heal: all links restored', 'cut n1->n2', 'SIGKILL', 'restarted']));
    const band = all(svg, (n) => n.name === 'g' && hasClass(n, 'band'));
    expect(band.map(tip)).toEqual(['partition at 430 ms: {n0,n1} | {n2,n3,n4}']);
    const heal = all(svg, (n) => n.name === 'g' && hasClass(n, 'heal'))[0];
    const rect = all(band[0], (n) => n.name === 'rect')[0].attrs;
    expect(Number(rect.y) + Number(rect.height)).toBeCloseTo(Number(all(heal, (n) => n.name === 'line')[0].attrs.y1), 0);
    const down = all(svg, (n) => n.name === 'path' && hasClass(n, 'll') && hasClass(n, 'down'));
    expect(down.length).toBe(1);
    expect(down[0].attrs.d.startsWith(`M${lx('n3')} `)).toBe(true);
    expect(all(svg, (n) => hasClass(n, 'cut')).length).toBeGreaterThan(0);
    expect(all(svg, (n) => hasClass(n, 'bc')).length).toBe(8);
    expect(all(svg, (n) => hasClass(n, 'rd')).length).toBe(2);
    expect(all(svg, (n) => hasClass(n, 'rs')).length).toBe(1);
    // The omitted lines are in the caption.
    expect(drawn.notes).toContain('37 more lines left out to keep the picture readable.');
    expect(renderFigure(fig)).toMatch(/<figcaption>.*37 more lines left out to keep the picture readable\..*<\/figcaption>/);
  });

  it(`caps the arrows at ${MAX_ARROWS} and counts the rest as omitted`, () => {
    const messages = Array.from({ length: 1000 }, (_, i) => ({
      from: `n${i % 3}`,
      to: `n${(i + 1) % 3}`,
      sentAtMs: i * 3,
      deliveredAtMs: i * 3 + 40,
      label: `{"type":"gossip","values":[${i}]}`,
    }));
    const fig = SequenceFigure.parse({ kind: 'sequence', title: 'many', peers: ['n0', 'n1', 'n2'], messages, marks: [], messagesOmitted: 5 });
    const { svg, raw, drawn } = svgOf(fig);
    expect(all(svg, (n) => n.name === 'g' && hasClass(n, 'msg')).length).toBe(MAX_ARROWS);
    expect(drawn.notes).toContain('605 more lines left out to keep the picture readable.');
    expect(raw.length).toBeLessThan(250_000);
    const labels = all(svg, (n) => n.name === 'text' && hasClass(n, 'ml'));
    expect(labels.length).toBeLessThan(MAX_ARROWS);
    expect(drawn.notes.join(' ')).toMatch(/\d+ labels left off where arrows crowd/);
  });

  it('shortens long quiet stretches and marks them on the time axis', () => {
    const fig = SequenceFigure.parse({
      kind: 'sequence',
      title: 'gap',
      peers: ['a', 'b'],
      messages: [
        { from: 'a', to: 'b', sentAtMs: 0, deliveredAtMs: 10, label: 'x' },
        { from: 'b', to: 'a', sentAtMs: 20, deliveredAtMs: 30, label: 'y' },
        { from: 'a', to: 'b', sentAtMs: 60_000, deliveredAtMs: 60_010, label: 'z' },
      ],
      marks: [],
    });
    const { svg } = svgOf(fig);
    expect(all(svg, (n) => n.name === 'text' && hasClass(n, 'brk')).map(textOf)).toEqual(['≈']);
    expect(Number(svg.attrs.height)).toBeLessThan(400);
  });

  it('handles one peer without messages, no peers, and lines to peers without a lifeline', () => {
    const one = svgOf(SequenceFigure.parse({ kind: 'sequence', title: 'one', peers: ['n0'], messages: [], marks: [] }));
    expect(textOf(one.svg)).toContain('no lines between peers');
    const none = svgOf(SequenceFigure.parse({ kind: 'sequence', title: 'none', peers: [], messages: [], marks: [] }));
    expect(textOf(none.svg)).toContain('no peers');
    const stray = svgOf(
      SequenceFigure.parse({
        kind: 'sequence',
        title: 'stray',
        peers: ['n0', 'n1'],
        messages: [
          { from: 'n0', to: 'ghost', sentAtMs: 1, label: 'a' },
          { from: 'n0', to: 'n0', sentAtMs: 2, deliveredAtMs: 3, label: 'self' },
        ],
        marks: [{ atMs: 5, kind: 'crash', peers: ['ghost'], text: 'x' }],
      }),
    );
    expect(stray.drawn.notes).toContain('1 line to or from peers without a lifeline left out.');
    expect(all(stray.svg, (n) => n.name === 'g' && hasClass(n, 'msg')).length).toBe(1);
  });

  it('escapes peer ids, labels and mark texts', () => {
    const fig = SequenceFigure.parse({
      kind: 'sequence',
      title: HOSTILE_LABEL,
      peers: [HOSTILE_ID, 'b'],
      messages: [{ from: HOSTILE_ID, to: 'b', sentAtMs: 1, deliveredAtMs: 9, label: HOSTILE_ID }],
      marks: [
        { atMs: 3, kind: 'partition', text: HOSTILE_ID },
        { atMs: 4, kind: 'broadcast', peers: [HOSTILE_ID], text: HOSTILE_LABEL },
      ],
    });
    const html = renderFigure(fig);
    expect(html).not.toMatch(/<script|<img/i);
    expect(html).not.toContain('\x1b');
    const { svg } = svgOf(fig);
    expect(all(svg, (n) => n.name === 'title').map(textOf)).toContain(`partition at 3 ms: ${HOSTILE_ID}`);
  });
});

describe('figures in the reports', () => {
  const r = gossipRun();
  const html = renderHtml(r);

  it('are deterministic: the same data gives the same bytes', () => {
    expect(renderHtml(gossipRun())).toBe(html);
    for (const f of [gridTopology(5, { highlight: ['n7->n8'] }), ringTopology(50), spreadFigure(150, 50, { boundMs: 4000 }), sequenceFigure()])
      expect(renderFigure(f)).toBe(renderFigure(structuredClone(f)));
  });

  it('are inline SVG in <figure>s with captions, in a page that keeps its CSP and has no script', () => {
    expect(html).toContain(`http-equiv="Content-Security-Policy" content="default-src 'none';`);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:|\/\/|data:|javascript:)/i);
    expect(html).not.toMatch(/url\(|@import|<image|<use|<foreignObject/i);
    expect(html.match(/<figure class="figure figure-/g)?.length).toBe(5);
    expect(html.match(/<svg /g)?.length).toBe(5);
    expect(html.match(/<figcaption>/g)?.length).toBe(5);
    expect(html).toContain('<h4>Pictures</h4>');
    // Each test's pictures sit in its own article, before its log.
    const article = html.slice(html.indexOf('id="test-gossip-partition-heal"'), html.indexOf('id="test-gossip-ring-50"'));
    expect(article.match(/<figure /g)?.length).toBe(1);
    expect(article.indexOf('<figure')).toBeLessThan(article.indexOf('<h4>Log</h4>'));
    for (const tag of ['figure', 'figcaption', 'svg', 'g', 'text', 'title', 'div', 'details', 'article']) {
      const open = html.match(new RegExp(`<${tag}[\\s>]`, 'g'))?.length ?? 0;
      const close = html.match(new RegExp(`</${tag}>`, 'g'))?.length ?? 0;
      expect(close, tag).toBe(open);
    }
  });

  it('stay harmless when the results are hostile', () => {
    const hostile = gossipRun([
      TopologyFigure.parse({
        kind: 'topology',
        title: HOSTILE_ID,
        peers: [{ id: HOSTILE_ID, x: 0, y: 0 }],
        links: [],
        highlight: [HOSTILE_ID],
      }),
      SequenceFigure.parse({
        kind: 'sequence',
        title: HOSTILE_ID,
        peers: [HOSTILE_ID],
        messages: [{ from: HOSTILE_ID, to: HOSTILE_ID, sentAtMs: 0, label: HOSTILE_ID }],
        marks: [],
      }),
    ]);
    const out = renderHtml(hostile);
    expect(out).not.toMatch(/<script/i);
    expect(out.match(/<\/svg>/g)?.length).toBe(7);
    expect(out.match(/<svg /g)?.length).toBe(7);
  });

  it('are announced in one line per test in Markdown, and not at all in the terminal', () => {
    const md = renderMarkdown(r);
    expect(md).toContain('_2 pictures of this test in the HTML report._');
    expect(md).toContain('_1 picture of this test in the HTML report._');
    expect(md).not.toContain('<svg');
    const term = renderTerminal(r, { color: false, verbose: true }) + renderTerminalSummary(r, { color: false, verbose: true });
    expect(term).not.toMatch(/picture|<svg/);
  });
});

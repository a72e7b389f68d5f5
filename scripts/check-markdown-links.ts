/**
 * Checks that every relative link in README.md and docs/ points at a file that exists and, when it
 * names an `#anchor` in a Markdown file, at a heading of that file, with the anchors GitHub gives
 * headings. Run by test/docs/markdown-links.test.ts; by hand:
 * `sh scripts/node24.sh node scripts/check-markdown-links.ts` (exit 1 and one line per broken link).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BrokenLink {
  /** The Markdown file holding the link, relative to the root. */
  readonly file: string;
  readonly line: number;
  readonly target: string;
  readonly reason: string;
}

/** README.md and every Markdown file under docs/, relative to `root`. */
export function listDocumentation(root: string): string[] {
  const files = existsSync(join(root, 'README.md')) ? ['README.md'] : [];
  const walk = (dir: string) => {
    if (!existsSync(join(root, dir))) return;
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  walk('docs');
  return files.sort();
}

/**
 * The anchor GitHub gives a heading (github-slugger): lower case, every character that is not a
 * letter, mark, digit, `_`, `-` or space dropped, each space a `-`. It is computed from the
 * rendered text, so Markdown goes first: a link keeps its text, a code span its content as
 * written, and HTML tags and emphasis markers outside code disappear.
 */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .split(/(`+[^`]*`+)/)
    .map((part, index) =>
      index % 2 === 1
        ? part.replace(/`/g, '')
        : part.replace(/<[^>]+>/g, '').replace(/(^|[\s(])[*_]+|[*_]+(?=$|[\s).,:;!?])/g, '$1'),
    )
    .join('');
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}_ -]/gu, '')
    .replace(/ /g, '-');
}

interface ParsedMarkdown {
  readonly anchors: ReadonlySet<string>;
  readonly links: readonly { line: number; target: string }[];
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const HEADING = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const INLINE_LINK = /!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g;
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]]+\]:[ \t]*<?([^\s>]+)>?/gm;
const HTML_ANCHOR = /<a\s[^>]*(?:id|name)="([^"]+)"/g;

/** Headings' anchors (numbered as GitHub numbers repeats) and links, outside code. */
function parseMarkdown(text: string): ParsedMarkdown {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fence: string | undefined;
  // Lines of fenced code become empty, so that what is left keeps its line numbers.
  const prose = text.split('\n').map((line) => {
    const fenceMatch = FENCE.exec(line);
    if (fence !== undefined) {
      if (fenceMatch && fenceMatch[1]![0] === fence[0] && fenceMatch[1]!.length >= fence.length) {
        fence = undefined;
      }
      return '';
    }
    if (fenceMatch) {
      fence = fenceMatch[1];
      return '';
    }
    const heading = HEADING.exec(line);
    if (heading) {
      const slug = githubSlug(heading[1]!);
      const count = seen.get(slug) ?? 0;
      seen.set(slug, count + 1);
      anchors.add(count === 0 ? slug : `${slug}-${count}`);
    }
    for (const match of line.matchAll(HTML_ANCHOR)) anchors.add(match[1]!);
    return line;
  });
  // Code spans are blanked (newlines kept); a link's text may run over several lines.
  const visible = prose
    .join('\n')
    .replace(/(`+)(?:(?!\1)[^])+?\1/g, (span) => span.replace(/[^\n]/g, ' '));
  const lineAt = (index: number) => visible.slice(0, index).split('\n').length;
  const links: { line: number; target: string }[] = [];
  for (const match of visible.matchAll(INLINE_LINK)) {
    links.push({ line: lineAt(match.index), target: match[1]! });
  }
  for (const match of visible.matchAll(REFERENCE_DEFINITION)) {
    links.push({ line: lineAt(match.index), target: match[1]! });
  }
  return { anchors, links: links.sort((a, b) => a.line - b.line) };
}

/**
 * The anchors of a Markdown file's headings (and of its `<a id>`/`<a name>` tags), as GitHub gives
 * them. test/docs/stands-alone.test.ts checks the `docs/…md#anchor` citations in code with them.
 */
export function listAnchors(markdown: string): ReadonlySet<string> {
  return parseMarkdown(markdown).anchors;
}

const isExternal = (target: string) =>
  /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');

/** Every broken relative link and anchor in README.md and docs/ under `root`. */
export function findBrokenLinks(root: string): BrokenLink[] {
  const parsed = new Map<string, ParsedMarkdown>();
  const parse = (file: string) => {
    let result = parsed.get(file);
    if (!result) {
      result = parseMarkdown(readFileSync(join(root, file), 'utf8'));
      parsed.set(file, result);
    }
    return result;
  };
  const broken: BrokenLink[] = [];
  for (const file of listDocumentation(root)) {
    for (const { line, target } of parse(file).links) {
      if (target === '' || isExternal(target)) continue;
      const hash = target.indexOf('#');
      const path = hash === -1 ? target : target.slice(0, hash);
      const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
      const linked =
        path === '' ? file : relative(root, resolve(root, dirname(file), decodeURI(path)));
      const report = (reason: string) => broken.push({ file, line, target, reason });
      if (linked.startsWith('..')) {
        report('points outside the repository');
      } else if (!existsSync(join(root, linked))) {
        report(`${linked} does not exist`);
      } else if (anchor !== undefined && anchor !== '') {
        if (!linked.endsWith('.md') || statSync(join(root, linked)).isDirectory()) {
          report(`${linked} is not a Markdown file, so it has no #${anchor}`);
        } else if (!parse(linked).anchors.has(anchor)) {
          report(`${linked} has no heading with the anchor #${anchor}`);
        }
      }
    }
  }
  return broken;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const broken = findBrokenLinks(root);
  for (const link of broken) {
    console.error(`${link.file}:${link.line}: (${link.target}) ${link.reason}`);
  }
  process.exitCode = broken.length === 0 ? 0 : 1;
}

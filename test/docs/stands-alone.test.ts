import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

import ts from 'typescript';
import { afterEach, describe, expect, it } from 'vitest';

import { githubSlug, listAnchors } from '../../scripts/check-markdown-links.ts';

const REPOSITORY = resolve(import.meta.dirname, '../..');

/**
 * Tessera began from a brief kept outside the repository, in these files and its folder. Built
 * from parts, so that this file does not mention them either.
 */
const OUTSIDE_FILES = ['DESIGN', 'INTERFACE', 'STYLE'].map((name) => `${name}.md`);
const OUTSIDE_FOLDER = ['..', 'shared'].join('/');
const OUTSIDE = /(?<![\w-])(?:DESIGN|INTERFACE|STYLE)\.md\b|\.\.\/shared\b/i;

/** Code files: their comments are searched for `docs/` citations. */
const CODE = /\.(?:[cm]?ts|[cm]?js)$/;

/**
 * A page of docs/ cited from code, optionally followed by the section: `docs/<page>.md#<anchor>`, or
 * `docs/<page>.md "Heading"` (the older form, the heading as written; a line break of the comment
 * may come between the two, or inside the heading).
 */
const CITATION =
  /(?<![\w./-])(docs\/[\w./-]*?\.md)(?![\w-])(?:#([\p{L}\p{N}_-]+)|\s+(?:(?:\*(?!\/)|\/\/)\s*)?"([^"]{1,200})")?/gu;
/** A line break inside a comment, with the next line's `*` or `//`. */
const COMMENT_LINE_BREAK = /\s*\n\s*(?:\*(?!\/)|\/\/)?\s*/g;

interface Finding {
  /** The file, relative to the repository root, and the line of the mention or citation. */
  readonly at: string;
  readonly text: string;
}

/** Every file git tracks that is still on disk, relative to `root`. */
function listTrackedFiles(root: string): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
    .split('\0')
    .filter((file) => file !== '' && existsSync(join(root, file)));
}

/** Each line of `files` that names the outside brief's files or folder. */
function findOutsideMentions(root: string, files: readonly string[]): Finding[] {
  return files.flatMap((file) =>
    readFileSync(join(root, file), 'utf8')
      .split('\n')
      .flatMap((line, index) =>
        OUTSIDE.test(line) ? [{ at: `${file}:${index + 1}`, text: line.trim() }] : [],
      ),
  );
}

/**
 * The comments of a TypeScript or JavaScript file, with the line each starts on. Every comment is
 * trivia before some token, so the comment ranges at each node's and token's start find them all;
 * strings and template literals are tokens, so a `//` or `docs/` inside them is not a comment.
 */
function listComments(file: string, text: string): { line: number; text: string }[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const comments = new Map<number, { line: number; text: string }>();
  const collect = (position: number) => {
    const ranges = [
      ...(ts.getLeadingCommentRanges(text, position) ?? []),
      ...(ts.getTrailingCommentRanges(text, position) ?? []),
    ];
    for (const range of ranges) {
      if (comments.has(range.pos)) continue;
      comments.set(range.pos, {
        line: source.getLineAndCharacterOfPosition(range.pos).line + 1,
        text: text.slice(range.pos, range.end),
      });
    }
  };
  const visit = (node: ts.Node) => {
    collect(node.pos);
    // A JSDoc node's children lie inside the comment, which its parent's start already found.
    for (const child of node.getChildren(source)) if (!ts.isJSDoc(child)) visit(child);
  };
  visit(source);
  return [...comments.values()].sort((a, b) => a.line - b.line);
}

/**
 * Each `docs/` citation in a comment of the code files among `files` whose page does not exist, or
 * whose `#anchor` or "Heading" names no heading of that page.
 */
function findBrokenCitations(root: string, files: readonly string[]): Finding[] {
  const anchors = new Map<string, ReadonlySet<string>>();
  const anchorsOf = (page: string) => {
    let found = anchors.get(page);
    if (!found) {
      found = listAnchors(readFileSync(join(root, page), 'utf8'));
      anchors.set(page, found);
    }
    return found;
  };
  const broken: Finding[] = [];
  for (const file of files.filter((name) => CODE.test(name))) {
    const text = readFileSync(join(root, file), 'utf8');
    if (!text.includes('docs/')) continue;
    for (const comment of listComments(file, text)) {
      for (const match of comment.text.matchAll(CITATION)) {
        const [, page, anchor, quoted] = match;
        const line = comment.line + comment.text.slice(0, match.index).split('\n').length - 1;
        const at = `${file}:${line}`;
        const heading = quoted?.replace(COMMENT_LINE_BREAK, ' ');
        const section = anchor ?? (heading === undefined ? undefined : githubSlug(heading));
        if (!existsSync(join(root, page!))) {
          broken.push({ at, text: `${page} does not exist` });
        } else if (section !== undefined && !anchorsOf(page!).has(section)) {
          const cited = anchor === undefined ? `"${heading}"` : `#${anchor}`;
          broken.push({ at, text: `${page} has no section ${cited}` });
        }
      }
    }
  }
  return broken;
}

describe('the repository', () => {
  const files = listTrackedFiles(REPOSITORY);

  it('names no file of the brief Tessera began from, which is not part of it', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(findOutsideMentions(REPOSITORY, files)).toEqual([]);
  });

  it('cites in its code comments only docs pages and sections that exist', () => {
    expect(findBrokenCitations(REPOSITORY, files)).toEqual([]);
  });
});

describe('the stand-alone checks', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** A throw-away repository holding `files` (path → text). */
  function repositoryWith(files: Record<string, string>) {
    root = mkdtempSync(join(tmpdir(), 'tessera-stands-alone-'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return { repository: root, files: Object.keys(files) };
  }

  const GUIDE = '# Guide\n\n## Token requests\n\n### DPoP (sender-constrained tokens)\n';

  it('finds every mention of the outside brief, whatever the file', () => {
    const { repository, files } = repositoryWith({
      'src/a.ts': `// Single use (${OUTSIDE_FILES[0]} section 4).\nexport const a = 1;\n`,
      'docs/b.md': `# B\n\nAs ${OUTSIDE_FILES[1]!.toLowerCase()} says.\n`,
      'scripts/c.sh': `# see ${OUTSIDE_FOLDER}/${OUTSIDE_FILES[2]}\n`,
      'src/d.ts': `// Other files: API-${OUTSIDE_FILES[0]}, ${OUTSIDE_FILES[0]!.replace('.', '_NOTES.')}\n`,
    });

    expect(findOutsideMentions(repository, files)).toEqual([
      { at: 'src/a.ts:1', text: `// Single use (${OUTSIDE_FILES[0]} section 4).` },
      { at: 'docs/b.md:3', text: `As ${OUTSIDE_FILES[1]!.toLowerCase()} says.` },
      { at: 'scripts/c.sh:1', text: `# see ${OUTSIDE_FOLDER}/${OUTSIDE_FILES[2]}` },
    ]);
  });

  it('reports a missing page and a missing section, in any kind of comment', () => {
    const { repository, files } = repositoryWith({
      'docs/guide.md': GUIDE,
      'src/a.ts': [
        '/**',
        ' * Fine (docs/guide.md#token-requests), and over a line break (docs/guide.md',
        ' * "DPoP (sender-constrained tokens)", docs/guide.md "DPoP (sender-constrained',
        ' * tokens)"); but docs/guide.md#nowhere.',
        ' */',
        'export const a = 1; // gone: docs/gone.md',
        'function b() {',
        '  return 2;',
        '  /* a stale anchor: docs/guide.md#signing-keys */',
        '}',
        '// a stale heading: docs/guide.md "Signing keys"',
        'export const c = `${b()}`; // trailing, after a template: docs/gone-too.md',
      ].join('\n'),
    });

    expect(findBrokenCitations(repository, files)).toEqual([
      { at: 'src/a.ts:4', text: 'docs/guide.md has no section #nowhere' },
      { at: 'src/a.ts:6', text: 'docs/gone.md does not exist' },
      { at: 'src/a.ts:9', text: 'docs/guide.md has no section #signing-keys' },
      { at: 'src/a.ts:11', text: 'docs/guide.md has no section "Signing keys"' },
      { at: 'src/a.ts:12', text: 'docs/gone-too.md does not exist' },
    ]);
  });

  it('ignores docs paths outside comments and in files that are not code', () => {
    const { repository, files } = repositoryWith({
      'docs/guide.md': GUIDE,
      'test/a.test.ts': [
        "const page = 'docs/gone.md#nowhere'; // a path in a string is data",
        'const url = `https://example.com/${page}`; // and so is a // in a template',
        "const comment = '/* docs/gone.md */'; // a comment's opening in a string opens none",
        'export { url, comment };',
      ].join('\n'),
      'README.md': '# Readme\n\nSee docs/gone.md.\n',
      'test/docs/gone.md.ts': '// test/docs/gone.md is not a docs page\n',
    });

    expect(findBrokenCitations(repository, files)).toEqual([]);
  });
});

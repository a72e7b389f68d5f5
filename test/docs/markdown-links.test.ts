import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { findBrokenLinks, githubSlug } from '../../scripts/check-markdown-links.ts';

const REPOSITORY = resolve(import.meta.dirname, '../..');

describe('the documentation links', () => {
  it('resolves every relative link and #anchor in README.md and docs/', () => {
    expect(findBrokenLinks(REPOSITORY)).toEqual([]);
  });
});

describe('the Markdown link check', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** A throw-away repository holding `files` (path → Markdown). */
  function repositoryWith(files: Record<string, string>) {
    root = mkdtempSync(join(tmpdir(), 'tessera-doc-links-'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return root;
  }

  it('reports a missing page, a missing anchor (also of a link over two lines) and an anchor in a file that has none', () => {
    const repository = repositoryWith({
      'README.md': [
        '# Tessera',
        '',
        'See [the guide](docs/guide.md#token-requests), [gone](docs/gone.md) and',
        '[a stale anchor](docs/guide.md#signing-keys), [a link that runs over',
        'two lines](docs/guide.md#nowhere).',
        '',
        '[schema]: docs/schema.json#format',
      ].join('\n'),
      'docs/guide.md':
        '# Guide\n\n## Token requests\n\nBack to the [README](../README.md#tessera).\n',
      'docs/schema.json': '{}\n',
    });

    expect(findBrokenLinks(repository)).toEqual([
      {
        file: 'README.md',
        line: 3,
        target: 'docs/gone.md',
        reason: 'docs/gone.md does not exist',
      },
      {
        file: 'README.md',
        line: 4,
        target: 'docs/guide.md#signing-keys',
        reason: 'docs/guide.md has no heading with the anchor #signing-keys',
      },
      {
        file: 'README.md',
        line: 4,
        target: 'docs/guide.md#nowhere',
        reason: 'docs/guide.md has no heading with the anchor #nowhere',
      },
      {
        file: 'README.md',
        line: 7,
        target: 'docs/schema.json#format',
        reason: 'docs/schema.json is not a Markdown file, so it has no #format',
      },
    ]);
  });

  it('checks anchors within the same page and numbers repeated headings as GitHub does', () => {
    const repository = repositoryWith({
      'docs/page.md': [
        '# Page',
        '## Example',
        '## Example',
        'Both [examples](#example) and [again](#example-1); not [a third](#example-2).',
      ].join('\n'),
    });

    expect(findBrokenLinks(repository)).toEqual([
      expect.objectContaining({ file: 'docs/page.md', line: 4, target: '#example-2' }),
    ]);
  });

  it('ignores links in code and external links', () => {
    const repository = repositoryWith({
      'README.md': [
        '# Tessera',
        '```md',
        '[inside a fence](docs/nowhere.md)',
        '```',
        'Inline `[code](docs/nowhere.md)`, [a site](https://example.com/x.md#y),',
        '<http://localhost:3000>, [mail](mailto:someone@example.com).',
      ].join('\n'),
    });

    expect(findBrokenLinks(repository)).toEqual([]);
  });

  it("derives anchors as GitHub does: lower case, punctuation dropped, spaces as '-'", () => {
    expect(githubSlug('DPoP (sender-constrained tokens)')).toBe('dpop-sender-constrained-tokens');
    expect(githubSlug('Admin API and the `tessera` CLI')).toBe('admin-api-and-the-tessera-cli');
    expect(githubSlug('Authentication context (`acr`, `amr`)')).toBe(
      'authentication-context-acr-amr',
    );
    expect(githubSlug('Node.js 24')).toBe('nodejs-24');
    expect(githubSlug('0002 — SQLite through `node:sqlite`')).toBe(
      '0002--sqlite-through-nodesqlite',
    );
    expect(githubSlug('The `_session` cookie, _not_ snake_case')).toBe(
      'the-_session-cookie-not-snake_case',
    );
    expect(githubSlug('[Linked](other.md) heading')).toBe('linked-heading');
  });
});

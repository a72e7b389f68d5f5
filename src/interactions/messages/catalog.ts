import { en, type Messages } from './en.ts';

/** Languages the pages can be shown in; add a file with the `Messages` shape and list it here. */
const CATALOG: ReadonlyMap<string, Messages> = new Map([['en', en]]);
const FALLBACK = en;

/**
 * Picks the catalog for the first supported language of `ui_locales` (OIDC Core section 3.1.2.1,
 * space-separated BCP 47 tags), then of the Accept-Language header (RFC 9110 section 12.5.4),
 * else English. Only the primary language subtag is matched.
 */
export function selectMessages(
  uiLocales: string | undefined,
  acceptLanguage: string | undefined,
): Messages {
  const fromUi = (uiLocales ?? '').split(' ');
  const fromHeader = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.find((p) => p.trim().startsWith('q='));
      return { tag, q: q ? Number(q.trim().slice(2)) : 1 };
    })
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q)
    .map((entry) => entry.tag);
  for (const tag of [...fromUi, ...fromHeader]) {
    const messages = CATALOG.get(tag.toLowerCase().split('-')[0] ?? '');
    if (messages) return messages;
  }
  return FALLBACK;
}

/** Fills `{name}` placeholders; unknown names stay as they are. */
export function formatMessage(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

export type { Messages };

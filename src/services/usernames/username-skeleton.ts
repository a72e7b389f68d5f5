/**
 * The skeleton of a username key: equal for usernames that look alike, so that a username
 * confusable with an existing one is one indexed lookup (and one unique index) away. It follows
 * the UTS #39 skeleton (section 4: NFD, map each character to its prototype, NFD again) with a
 * prototype table of Tessera's own, because no maintained npm package ships UTS #39's data with
 * the algorithm (see docs/security.md "Admin changes, names, usernames and passwords"):
 *
 * - It covers the look-alikes that matter between Latin, Greek, Cyrillic and Armenian (the scripts
 *   with whole-script look-alikes of Latin words among those usernames may use) and the ASCII
 *   digits that pass for letters (`0` for `o`, `1` for `l`). Mixed-script usernames are refused
 *   outright (username-scripts.ts), so a spoof must be written wholly in one script: `аре` in
 *   Cyrillic for `ape`.
 * - Keys are lower-case, but usernames are shown as typed. So a letter counts as the Latin letter
 *   its capital is identical to when there is one (Greek `η` as `h`, for `Η`; Cyrillic `в` as `b`,
 *   for `В`), else as the one its small form resembles (Greek `γ` as `y`); and `i`, whose capital
 *   `I` is `l`'s twin in many typefaces, counts as `l` (so do `1`, `ı`, Greek `ι`, Cyrillic `і`
 *   and `ӏ`). UTS #39 maps `I` and `1` to `l` too.
 * - Look-alike sequences (`rn` for `m`, `cl` for `d`, `vv` for `w`) are not mapped: they would
 *   refuse too many ordinary usernames (`clan` for `dan`).
 *
 * Diacritics stay (NFD keeps the combining marks): `josé` and `jose` are different usernames.
 */
const PROTOTYPES: Readonly<Record<string, string>> = {
  // Latin and digits.
  '0': 'o',
  '1': 'l',
  i: 'l',
  ı: 'l', // dotless i
  ɩ: 'l', // Latin iota
  ɪ: 'l', // small capital I
  ǀ: 'l', // dental click
  ȷ: 'j', // dotless j
  ɑ: 'a', // Latin alpha
  ɡ: 'g', // script g
  ʏ: 'y', // small capital Y
  // Greek (capitals identical to Latin: Α Β Ε Ζ Η Ι Κ Μ Ν Ο Ρ Τ Υ Χ).
  α: 'a',
  β: 'b',
  γ: 'y',
  ε: 'e',
  ζ: 'z',
  η: 'h',
  ι: 'l',
  κ: 'k',
  μ: 'm',
  ν: 'n',
  ο: 'o',
  ρ: 'p',
  σ: 'o',
  τ: 't',
  υ: 'y',
  χ: 'x',
  ω: 'w',
  ϲ: 'c', // lunate sigma
  ϳ: 'j', // yot
  // Cyrillic (capitals identical to Latin: А В Е К М Н О Р С Т Х Ѕ І Ј Ӏ Ү).
  а: 'a',
  в: 'b',
  г: 'r',
  е: 'e',
  з: '3',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  п: 'n',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  ь: 'b',
  ѕ: 's',
  і: 'l',
  ј: 'j',
  һ: 'h',
  ӏ: 'l', // palochka
  ү: 'y', // straight u
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  ѵ: 'v', // izhitsa
  ӕ: 'æ',
  ә: 'ə',
  // Armenian.
  օ: 'o',
  ո: 'n',
  ս: 'u',
  հ: 'h',
  զ: 'q',
  ց: 'g',
};

/**
 * The skeleton of a username key (usernameKeyOf): NFD, each character replaced by its
 * prototype, NFD again. Two usernames are confusable when their skeletons are equal.
 */
export function usernameSkeletonOf(usernameKey: string): string {
  let mapped = '';
  for (const char of usernameKey.normalize('NFD')) mapped += PROTOTYPES[char] ?? char;
  return mapped.normalize('NFD');
}

import { parseDocument } from 'yaml';
import type { z } from 'zod';

import { configFileSchema, type ConfigFile } from '../../admin/config-file-schema.ts';
import { CliError } from '../cli-error.ts';
import { readInputFile } from '../read-input-file.ts';

/** A clients-as-code file as read: where it came from (for every message) and what it says. */
export interface LoadedConfigFile {
  readonly path: string;
  readonly content: ConfigFile;
}

/** At most this many problems are listed; the rest are counted. */
const MAX_LISTED = 20;

/**
 * Reads a clients-as-code file (YAML, or JSON, which YAML includes) and checks it against the
 * same zod schemas the admin API validates with (config-file-schema.ts). Every problem is one
 * line naming the file, the entry (`clients.web`) and the field; a file that fails to parse
 * names its line instead.
 */
export function readConfigFile(path: string): LoadedConfigFile {
  const text = readInputFile(path);
  // uniqueKeys: a key given twice is an error, not a silent "last one wins".
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const syntaxError = document.errors[0];
  if (syntaxError) {
    const line = syntaxError.linePos?.[0].line;
    throw new CliError(
      `${path}${line === undefined ? '' : `: line ${line}`}: ${syntaxError.message.split('\n')[0]}`,
    );
  }
  const parsed = configFileSchema.safeParse(document.toJS() ?? {});
  if (!parsed.success) throw new CliError(describeIssues(path, parsed.error.issues));
  checkUnique(path, parsed.data);
  return { path, content: parsed.data };
}

function describeIssues(path: string, issues: readonly z.core.$ZodIssue[]): string {
  const lines = issues.slice(0, MAX_LISTED).map((issue) => `${path}: ${describeIssue(issue)}`);
  if (issues.length > MAX_LISTED) lines.push(`${path}: … and ${issues.length - MAX_LISTED} more`);
  return lines.join('\n');
}

/** `clients.web: redirect_uris.0: <message>`: the entry, then the field within it. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String);
  const unknown = issue.code === 'unrecognized_keys';
  const fieldPath = unknown ? [...path, issue.keys[0]!] : path;
  const message = unknown ? 'is not a known field' : issue.message;
  if (fieldPath.length === 0) return message;
  if (fieldPath.length === 1) return `${fieldPath[0]}: ${message}`;
  const [section, key, ...field] = fieldPath;
  const entry = `${section}.${key}`;
  return field.length === 0 ? `${entry}: ${message}` : `${entry}: ${field.join('.')}: ${message}`;
}

/** Two entries for one object would fight each other on every apply. */
function checkUnique(path: string, file: ConfigFile): void {
  const problems: string[] = [];
  const firstWith = new Map<string, string>();
  const claim = (value: string, entry: string, field: string) => {
    const earlier = firstWith.get(`${field}\0${value}`);
    if (earlier) problems.push(`${path}: ${entry}: ${field}: ${value} is also ${earlier}'s`);
    else firstWith.set(`${field}\0${value}`, entry);
  };
  for (const [key, entry] of Object.entries(file.resource_servers ?? {})) {
    claim(entry.audience, `resource_servers.${key}`, 'audience');
  }
  for (const [key, entry] of Object.entries(file.clients ?? {})) {
    if (entry.client_id !== undefined) claim(entry.client_id, `clients.${key}`, 'client_id');
  }
  if (problems.length > 0) throw new CliError(problems.join('\n'));
}

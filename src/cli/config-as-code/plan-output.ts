import type { CliIo } from '../cli-io.ts';
import type { Change, FieldChange, Plan } from './config-plan.ts';

const SIGN = { create: '+', update: '~', delete: '-' } as const;

// Values come from the file and the server: JSON escapes C0 controls, not DEL or C1 (CSI).
const show = (value: unknown): string =>
  value === undefined ? '(absent)' : JSON.stringify(value).replace(/[\u007f-\u009f]/g, '?');

/** `    scope: "a" -> "a b"` lines, one per field. */
export function describeFieldChanges(fields: readonly FieldChange[]): string {
  return fields
    .map((change) =>
      change.from === undefined
        ? `    ${change.field}: ${show(change.to)}`
        : `    ${change.field}: ${show(change.from)} -> ${show(change.to)}`,
    )
    .join('\n');
}

function headline(change: Change): string {
  const name = `${change.section}.${change.key}`;
  if (change.action === 'create') return `${SIGN.create} ${name} (create)`;
  const verb = change.action === 'update' ? 'update' : 'delete';
  return `${SIGN[change.action]} ${name} (${verb} ${change.id}, version ${change.version})`;
}

/** The plan for a human: one block per change, then a count. */
export function printPlan(io: CliIo, path: string, plan: Plan): void {
  for (const change of plan.changes) {
    io.stdout.write(`${headline(change)}\n`);
    if (change.fields.length > 0) io.stdout.write(`${describeFieldChanges(change.fields)}\n`);
  }
  const count = (action: Change['action']) =>
    plan.changes.filter((change) => change.action === action).length;
  io.stdout.write(
    plan.changes.length === 0
      ? `${path}: no changes; Tessera matches the file.\n`
      : `${path}: ${count('create')} to create, ${count('update')} to update, ${count('delete')} to delete.\n`,
  );
  for (const { section, key, id } of plan.unpruned) {
    io.stderr.write(
      `${section}.${key} (${id}) was created by apply and is no longer in the file; --prune deletes it.\n`,
    );
  }
}

/** The plan as JSON: the same changes, for scripts. */
export function planAsJson(plan: Plan) {
  return {
    changes: plan.changes.map((change) => ({
      action: change.action,
      section: change.section,
      key: change.key,
      ...(change.action === 'create' ? {} : { id: change.id, version: change.version }),
      fields: change.fields,
    })),
    unpruned: plan.unpruned,
  };
}

import type { z } from 'zod';

/**
 * A zod schema with the name it carries in the OpenAPI document (`#/components/schemas/<name>`).
 * Request and response bodies are always named, so the document refers to them instead of
 * repeating them per operation.
 */
export interface NamedSchema<T extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly schema: T;
}

export const named = <T extends z.ZodType>(name: string, schema: T): NamedSchema<T> => ({
  name,
  schema,
});

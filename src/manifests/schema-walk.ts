import type { z } from "zod";

/**
 * Reading zod schemas as data, so error messages can name known fields and
 * ranges without each kind spelling them out again (style §6: no branching on kinds).
 */

type Schema = z.core.$ZodType;

/** Strips wrappers that do not change which fields or bounds apply (optional, nullable, default, pipe input…). */
export function unwrap(schema: Schema): Schema {
  let current = schema;
  for (let depth = 0; depth < 32; depth++) {
    const def = (current as z.core.$ZodTypes)._zod.def;
    switch (def.type) {
      case "optional":
      case "nullable":
      case "default":
      case "prefault":
      case "nonoptional":
      case "readonly":
      case "catch":
        current = def.innerType;
        break;
      case "pipe":
        // A transform has no shape of its own: what the user writes is checked by the input side.
        current = (def.in as z.core.$ZodTypes)._zod.def.type === "transform" ? def.out : def.in;
        break;
      case "lazy":
        current = def.getter();
        break;
      default:
        return current;
    }
  }
  return current;
}

/** The schema that validates the value at `path` below `schema`, when it can be told. */
export function schemaAt(schema: Schema, path: readonly PropertyKey[]): Schema | undefined {
  let current: Schema | undefined = schema;
  for (const segment of path) {
    if (current === undefined) return undefined;
    current = childSchema(unwrap(current), segment);
  }
  return current;
}

function childSchema(schema: Schema, segment: PropertyKey): Schema | undefined {
  const def = (schema as z.core.$ZodTypes)._zod.def;
  switch (def.type) {
    case "object":
      return def.shape[String(segment)] ?? def.catchall;
    case "record":
      return def.valueType;
    case "array":
      return def.element;
    case "tuple":
      return typeof segment === "number" ? (def.items[segment] ?? def.rest ?? undefined) : undefined;
    case "union":
      for (const option of def.options) {
        const child = childSchema(unwrap(option), segment);
        if (child !== undefined) return child;
      }
      return undefined;
    case "intersection":
      return childSchema(unwrap(def.left), segment) ?? childSchema(unwrap(def.right), segment);
    default:
      return undefined;
  }
}

/** Field names an object schema accepts (every option's for a union), for did-you-mean. */
export function knownKeys(schema: Schema | undefined): string[] {
  if (schema === undefined) return [];
  const def = (unwrap(schema) as z.core.$ZodTypes)._zod.def;
  switch (def.type) {
    case "object":
      return Object.keys(def.shape);
    case "union":
      return [...new Set(def.options.flatMap((option) => knownKeys(option)))];
    case "intersection":
      return [...new Set([...knownKeys(def.left), ...knownKeys(def.right)])];
    default:
      return [];
  }
}

export interface NumberBounds {
  min?: number;
  max?: number;
}

/** Inclusive numeric bounds of a number schema; safe-integer limits of `z.int()` count as unbounded. */
export function numberBounds(schema: Schema | undefined): NumberBounds {
  if (schema === undefined) return {};
  const inner = unwrap(schema);
  if ((inner as z.core.$ZodTypes)._zod.def.type !== "number") return {};
  const { minValue, maxValue } = inner as z.ZodNumber;
  const bounds: NumberBounds = {};
  if (minValue !== null && Number.isFinite(minValue) && minValue > Number.MIN_SAFE_INTEGER)
    bounds.min = minValue;
  if (maxValue !== null && Number.isFinite(maxValue) && maxValue < Number.MAX_SAFE_INTEGER)
    bounds.max = maxValue;
  return bounds;
}

/** True for `z.int()` and friends (a number schema with an integer format). */
export function isIntegerSchema(schema: Schema | undefined): boolean {
  if (schema === undefined) return false;
  const inner = unwrap(schema);
  return (inner as z.core.$ZodTypes)._zod.def.type === "number" && (inner as z.ZodNumber).isInt === true;
}

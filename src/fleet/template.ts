/**
 * `${name}` variables in the string fields of a RetryPolicy (design §7). A
 * policy names them at validation; expansion fills them per resource.
 */

export type Variable = "account" | "region" | "functionName" | "queueName";

/** Every variable of every section but `sourceQueues`. */
export const FUNCTION_VARIABLES: readonly Variable[] = ["account", "region", "functionName"];
/** `sourceQueues` also knows the source queue's name. */
export const QUEUE_VARIABLES: readonly Variable[] = [...FUNCTION_VARIABLES, "queueName"];

const REFERENCE_RE = /\$\{([^}]*)\}/g;

export function isTemplate(value: string): boolean {
  return value.includes("${");
}

/** What is wrong with the variables of `value`, for the given section; undefined when nothing is. */
export function templateProblem(value: string, known: readonly Variable[]): string | undefined {
  const knownList = known.map((v) => `\${${v}}`).join(", ");
  for (const [, name = ""] of value.matchAll(REFERENCE_RE)) {
    if (!(known as readonly string[]).includes(name)) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the policy variable's own spelling, in a message.
      const onlyQueues = name === "queueName" ? " (${queueName} exists only in sourceQueues)" : "";
      return `uses the unknown variable \${${name}}${onlyQueues}; known here: ${knownList}`;
    }
  }
  // What is left after the references may not open another one: "${region" or a lone "${".
  if (value.replace(REFERENCE_RE, "").includes("${")) {
    return `has a "\${" without its closing "}"; variables are written \${name}, known here: ${knownList}`;
  }
  return undefined;
}

/** Fills every variable; callers validated the names, so an unknown one is left as written. */
export function substitute(value: string, values: Partial<Record<Variable, string>>): string {
  return value.replace(REFERENCE_RE, (whole, name: string) => values[name as Variable] ?? whole);
}

/** `substitute` over every string inside a section's values (lists included). */
export function substituteAll(value: unknown, values: Partial<Record<Variable, string>>): unknown {
  if (typeof value === "string") return substitute(value, values);
  if (Array.isArray(value)) return value.map((item) => substituteAll(item, values));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteAll(v, values)]));
  }
  return value;
}

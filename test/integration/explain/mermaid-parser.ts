/**
 * The real mermaid parser in Node. mermaid sanitises labels with DOMPurify,
 * which needs a DOM window when it is first imported; linkedom's is the
 * lightest that works (3 MB installed; happy-dom works too, at 20 MB).
 * Nothing is rendered: only the flowchart grammar and its database run.
 */
export interface ParsedFlowchart {
  vertices: Map<string, { text: string; classes: string[] }>;
  edges: { start: string; end: string; text: string; stroke: string }[];
}

interface FlowDb {
  getVertices(): Map<string, { text?: string; classes?: string[] }>;
  getEdges(): { start: string; end: string; text?: string; stroke?: string }[];
}

async function mermaid() {
  const scope = globalThis as { window?: unknown; document?: unknown };
  if (scope.window === undefined) {
    const { parseHTML } = await import("linkedom");
    const { window } = parseHTML("<!doctype html><html><body></body></html>");
    scope.window = window;
    scope.document = window.document;
  }
  return (await import("mermaid")).default;
}

/** Parses `text` (throws on a syntax error) and returns the flowchart's nodes and edges. */
export async function parseFlowchart(text: string): Promise<ParsedFlowchart> {
  const m = await mermaid();
  const result = await m.parse(text);
  if (!result || !String(result.diagramType).startsWith("flowchart")) {
    throw new Error(`not a flowchart: ${JSON.stringify(result)}`);
  }
  const diagram = await m.mermaidAPI.getDiagramFromText(text);
  const db = diagram.db as unknown as FlowDb;
  const vertices = new Map(
    [...db.getVertices()].map(([id, v]) => [id, { text: v.text ?? "", classes: v.classes ?? [] }]),
  );
  const edges = db
    .getEdges()
    .map((e) => ({ start: e.start, end: e.end, text: e.text ?? "", stroke: e.stroke ?? "" }));
  return { vertices, edges };
}

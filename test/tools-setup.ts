import type { TestProject } from "vitest/node";
import { ensureTool, kustomizeCommand } from "./support/tools.js";

/**
 * Provides the command-line tools the tests run (promtool, kustomize), installing
 * the missing ones before any test starts: a cold build takes minutes, longer
 * than a test or hook may, and would compete with running tests for the CPU.
 * Vitest sets no time limit on a globalSetup.
 */
export async function setup(project: TestProject): Promise<void> {
  project.provide("promtool", await ensureTool("promtool"));
  project.provide("kustomize", await kustomizeCommand());
}

import { describe, expect, it } from "vitest";
import { globMatch, matchesAny } from "../../../src/policy/match.js";

describe("globMatch", () => {
  it("matches a literal name exactly and case-sensitively", () => {
    expect(globMatch("orders", "orders")).toBe(true);
    expect(globMatch("orders", "orders-dlq")).toBe(false);
    expect(globMatch("orders", "Orders")).toBe(false);
    expect(globMatch("orders", "order")).toBe(false);
  });

  it("lets * stand for any run of characters, the empty one included", () => {
    expect(globMatch("orders-*", "orders-processor")).toBe(true);
    expect(globMatch("orders-*", "orders-")).toBe(true);
    expect(globMatch("orders-*", "orders")).toBe(false);
    expect(globMatch("orders-*", "payments-orders-x")).toBe(false);
    expect(globMatch("*-dlq", "orders-dlq")).toBe(true);
    expect(globMatch("*-dlq", "orders-dlq.fifo")).toBe(false);
    expect(globMatch("*", "anything.fifo")).toBe(true);
    expect(globMatch("*", "")).toBe(true);
    expect(globMatch("a*b*c", "a-x-b-y-c")).toBe(true);
    expect(globMatch("a*b*c", "a-x-c-y-b")).toBe(false);
  });

  it("lets ? stand for exactly one character", () => {
    expect(globMatch("orders-v?", "orders-v2")).toBe(true);
    expect(globMatch("orders-v?", "orders-v")).toBe(false);
    expect(globMatch("orders-v?", "orders-v10")).toBe(false);
  });

  it("treats regular-expression characters as themselves", () => {
    expect(globMatch("orders.fifo", "orders.fifo")).toBe(true);
    expect(globMatch("orders.fifo", "ordersXfifo")).toBe(false);
    expect(globMatch("a+b", "aab")).toBe(false);
  });

  it("answers patterns that make a regular expression backtrack exponentially (it would time out)", () => {
    expect(globMatch(`${"*a".repeat(30)}*b`, "a".repeat(80))).toBe(false);
    expect(globMatch(`${"*a".repeat(30)}*`, "a".repeat(80))).toBe(true);
  });
});

describe("matchesAny", () => {
  it("is true when one pattern matches and false for an empty list", () => {
    expect(matchesAny("orders-a", ["payments-*", "orders-*"])).toBe(true);
    expect(matchesAny("billing-a", ["payments-*", "orders-*"])).toBe(false);
    expect(matchesAny("orders-a", [])).toBe(false);
  });
});

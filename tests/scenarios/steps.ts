/**
 * Step runner for the selftest scenarios: each step is a named action, and
 * after every step the SPEC §9 invariants of the whole domain (plus any
 * provider checks the scenario adds) must hold; a failure names the step.
 */
import type { MemoryDomain } from '@netmem/core';
import { checkDomainInvariants } from '@netmem/core/testing';

/** A check run after every step; returns violations (empty: fine). */
export type StepCheck = () => readonly string[];

/** Returns `step(label, action)`: runs the action, then every check; throws with the label on a violation. */
export function stepper(domain: MemoryDomain, ...checks: StepCheck[]) {
  let n = 0;
  return function step<T>(label: string, action: () => T): T {
    n++;
    const out = action();
    const violations = [...checkDomainInvariants(domain), ...checks.flatMap((c) => c())];
    if (violations.length) throw new Error(`step ${n} (${label}): invariants broken:\n  ${violations.join('\n  ')}`);
    return out;
  };
}

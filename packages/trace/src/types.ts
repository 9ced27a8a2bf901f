/**
 * Every public type of @netmem/trace: the parsed events (types/events.ts)
 * and the reports built from them (types/report.ts).
 */
export * from './types/events.js';
export * from './types/report.js';

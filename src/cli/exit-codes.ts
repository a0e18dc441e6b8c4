/** Exit codes, as DESIGN.md sets them, plus one for hostnet's own bugs. */
export const EXIT = {
  /** No finding at or above the --fail-on threshold (or --exit-zero). */
  ok: 0,
  /** Findings at or above the threshold. */
  findings: 1,
  /** Usage error, unreadable or unparseable input, bad configuration or cluster file. */
  usage: 2,
  /** hostnet itself failed: a bug, reported with its stack. */
  bug: 3,
} as const;

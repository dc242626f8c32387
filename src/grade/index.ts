// Interim grader (exact string match after \\boxed{} / last-number extraction) so the trainer builds; the CAS-based grader replaces this file.
export function extractAnswer(r: string, _o: { choices?: boolean } = {}): string | null {
  const m = /\\boxed\{([^}]*)\}/g; let last: string | null = null; let x;
  while ((x = m.exec(r))) last = x[1]!;
  if (last !== null) return last.trim();
  const n = r.match(/-?\d+/g); return n ? n[n.length - 1]! : null;
}
export function isEquivalent(a: string, b: string, _o: { choices?: boolean } = {}): { equal: boolean } { return { equal: a.trim() === b.trim() }; }
export function gradeGroup(texts: string[], _o: { choices?: boolean } = {}) {
  const answers = texts.map((t) => extractAnswer(t));
  const counts = new Map<string, number>();
  answers.forEach((a) => { if (a !== null) counts.set(a, (counts.get(a) ?? 0) + 1); });
  let label: string | null = null, best = 0;
  for (const [a, c] of counts) if (c > best) { best = c; label = a; }
  const voters = answers.filter((a) => a !== null).length;
  return { answers, label, rewards: answers.map((a) => (a !== null && a === label ? 1 : 0)), voteShare: voters ? best / voters : 0, numClasses: counts.size };
}

// self_verify (URLVR, TTRL's `apply_self_verify`): the policy judges each of its own responses with a
// verification prompt, sampled through the same batched sampler; the verdict \boxed{True} / \boxed{False}
// becomes the reward 1 / 0. Template filling and verdict parsing are pure and live here.

/**
 * The default verification prompt, for math answers. {question} and {response} are replaced; the reference's
 * template was written for its countdown task (use every number once), this one asks the same of a math answer.
 */
export const DEFAULT_VERIFY_TEMPLATE = [
  'You are given a math question and a proposed solution. Decide whether the solution is correct.',
  '',
  'Check each step and the final answer. At the end, output exactly one of:',
  '\\boxed{True} if the solution and its final answer are correct,',
  '\\boxed{False} if they are not.',
  '',
  'Question:',
  '{question}',
  '',
  'Solution:',
  '{response}',
  '',
  'Verdict:',
].join('\n');

/** The template with {question} and {response} replaced (each occurrence; other braces are left alone). */
export function fillVerifyTemplate(template: string, question: string, response: string): string {
  return template.replace(/\{question\}|\{response\}/g, (m) => (m === '{question}' ? question : response));
}

/**
 * The verdict of a judge's response: the LAST \boxed{true} / \boxed{false} (any case, spaces allowed) wins;
 * without one, a lone "true" or a lone "false" decides (the reference's keyword fallback); else 0.
 * The reference checks \boxed{true} first anywhere in the text; taking the last one keeps a judge that quotes
 * the instructions ("output \boxed{True} or \boxed{False}") from being read as True.
 */
export function parseVerdict(text: string): 0 | 1 {
  const boxed = [...text.matchAll(/\\boxed\s*\{\s*(true|false)\b/gi)];
  if (boxed.length) return boxed[boxed.length - 1]![1]!.toLowerCase() === 'true' ? 1 : 0;
  const t = text.toLowerCase(), hasTrue = /\btrue\b/.test(t), hasFalse = /\bfalse\b/.test(t);
  return hasTrue && !hasFalse ? 1 : 0;
}

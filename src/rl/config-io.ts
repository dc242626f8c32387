// Reading, overriding, validating and writing the training config (schemas in config.ts).
// Precedence: schema defaults < config file (YAML or JSON) < overrides ("section.key=value", e.g. from CLI
// flags). dumpConfig writes the resolved config as commented YAML that loadConfig reads back unchanged;
// the trainer saves it with every run.
import fs from 'node:fs';
import YAML from 'yaml';
import type * as z from 'zod';
import { TtrlError } from '../util/errors.js';
import { TrainConfigObject, TrainConfigSchema, type SectionName, type TrainConfig } from './config.js';

interface SchemaNode { def: { type: string; innerType?: SchemaNode; shape?: Record<string, SchemaNode> }; description?: string; shape?: Record<string, SchemaNode> }

/** Strip default / prefault / nullable / optional wrappers; report whether null is allowed. */
function unwrap(s: SchemaNode): { core: SchemaNode; nullable: boolean } {
  let nullable = false;
  while (['default', 'prefault', 'nullable', 'optional'].includes(s.def.type) && s.def.innerType) {
    if (s.def.type === 'nullable') nullable = true;
    s = s.def.innerType;
  }
  return { core: s, nullable };
}

const SECTIONS = TrainConfigObject.shape as unknown as Record<SectionName, SchemaNode>;

function sectionShape(section: SectionName): Record<string, SchemaNode> {
  return unwrap(SECTIONS[section]).core.shape!;
}

/** Every leaf key as "section.key", in schema order. */
export const CONFIG_KEYS: readonly string[] = (Object.keys(SECTIONS) as SectionName[]).flatMap((s) =>
  Object.keys(sectionShape(s)).map((k) => `${s}.${k}`));

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

/** " (did you mean x?)" for a candidate that is a prefix of the name or the other way round, or within a few edits. */
function suggest(name: string, candidates: string[]): string {
  const prefix = candidates.find((c) => name.startsWith(c) || c.startsWith(name));
  if (prefix) return ` (did you mean ${prefix}?)`;
  let best = '', bestD = Infinity;
  for (const c of candidates) { const d = editDistance(name, c); if (d < bestD) { bestD = d; best = c; } }
  return bestD <= Math.max(2, Math.floor(name.length / 3)) ? ` (did you mean ${best}?)` : '';
}

function candidatesAt(pathParts: string[]): string[] {
  if (pathParts.length === 0) return Object.keys(SECTIONS);
  const s = pathParts[0] as SectionName;
  return SECTIONS[s] ? Object.keys(sectionShape(s)) : [];
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const parts = issue.path.map(String);
  const p = parts.join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${p ? `${p}.` : ''}${k}: unknown key${suggest(k, candidatesAt(parts))}`).join('; ');
  }
  if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) {
    return parts.length === 1 ? `${p}: required section (it needs ${p}.path)` : `${p}: required`;
  }
  return `${p}: ${issue.message}`;
}

/** Validate a plain object as a config. `source` names where it came from, for the error message. */
export function parseConfig(raw: unknown, source: string): TrainConfig {
  const r = TrainConfigSchema.safeParse(raw);
  if (!r.success) throw new TtrlError(`config ${source}: ${r.error.issues.map(formatIssue).join('; ')}`);
  return r.data;
}

/** The schema of "section.key"; unknown sections and keys are errors that name the closest one. */
function leafOf(key: string): SchemaNode {
  const [section, field, ...rest] = key.split('.');
  if (!section || !field || rest.length > 0) throw new TtrlError(`override '${key}': expected section.key, e.g. rollout.n_votes`);
  if (!(section in SECTIONS)) throw new TtrlError(`override '${key}': unknown section '${section}'${suggest(section, Object.keys(SECTIONS))}`);
  const shape = sectionShape(section as SectionName);
  const leaf = shape[field];
  if (!leaf) throw new TtrlError(`override '${key}': unknown key${suggest(field, Object.keys(shape))}`);
  return leaf;
}

/**
 * Turn an override's text into a value for its key: strings, enums and literals stay text ("null" → null
 * where null is allowed); numbers, booleans and lists are read as YAML scalars / flow lists ("5e-7",
 * "true", "[0.9, 0.95]").
 */
export function parseOverrideValue(key: string, text: string): unknown {
  const { core, nullable } = unwrap(leafOf(key));
  if (nullable && text === 'null') return null;
  if (['string', 'enum', 'literal'].includes(core.def.type)) return text;
  try {
    return YAML.parse(text);
  } catch {
    throw new TtrlError(`override '${key}=${text}': cannot read the value`);
  }
}

/** Overrides as "section.key=value" strings or a {"section.key": value} record (values already typed). */
export type Overrides = readonly string[] | Readonly<Record<string, unknown>>;

/** A deep copy of `raw` with each override set; creates missing sections. */
export function applyOverrides(raw: Record<string, unknown>, overrides: Overrides): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(raw);
  const entries: [string, unknown][] = Array.isArray(overrides)
    ? (overrides as readonly string[]).map((s) => {
      const eq = s.indexOf('=');
      if (eq <= 0) throw new TtrlError(`override '${s}': expected section.key=value`);
      const key = s.slice(0, eq);
      return [key, parseOverrideValue(key, s.slice(eq + 1))];
    })
    : Object.entries(overrides as Record<string, unknown>).map(([k, v]) => {
      leafOf(k);
      return [k, typeof v === 'string' ? parseOverrideValue(k, v) : v];
    });
  for (const [key, value] of entries) {
    const [section, field] = key.split('.') as [string, string];
    const sec = out[section];
    if (sec !== undefined && (typeof sec !== 'object' || sec === null || Array.isArray(sec))) {
      throw new TtrlError(`override '${key}': '${section}' in the config file is not a mapping`);
    }
    out[section] = { ...(sec as Record<string, unknown> | undefined), [field]: value };
  }
  return out;
}

/** Read a config file: .json as JSON, anything else as YAML. An empty file is an empty config. */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) {
    throw new TtrlError(`config ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let raw: unknown;
  try { raw = file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text); } catch (e) {
    throw new TtrlError(`config ${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new TtrlError(`config ${file}: the top level must be a mapping of sections`);
  return raw as Record<string, unknown>;
}

/** Defaults < file (if any) < overrides; validated and resolved. Errors are TtrlErrors naming the key. */
export function loadConfig(file: string | null, overrides: Overrides = []): TrainConfig {
  const raw = file ? readConfigFile(file) : {};
  const hasOverrides = Array.isArray(overrides) ? overrides.length > 0 : Object.keys(overrides).length > 0;
  const source = file ? (hasOverrides ? `${file} + overrides` : file) : '(overrides)';
  return parseConfig(applyOverrides(raw, overrides), source);
}

/** The resolved config as YAML, each key with its description as a comment; loadConfig reads it back. */
export function dumpConfig(cfg: TrainConfig): string {
  const doc = new YAML.Document(cfg);
  doc.commentBefore = ' ttrl training config (resolved). Sources: TTRL.md = the paper\'s settings; verl = TTRL\'s verl fork; ttrl = this project.';
  const top = doc.contents as YAML.YAMLMap<YAML.Scalar<string>, YAML.YAMLMap>;
  for (const sectionPair of top.items) {
    const section = sectionPair.key.value as SectionName;
    const shape = sectionShape(section);
    for (const pair of (sectionPair.value as YAML.YAMLMap<YAML.Scalar<string>, YAML.Node>).items) {
      const desc = shape[pair.key.value]?.description;
      if (desc && pair.value) pair.value.comment = ` ${desc}`;
      if (pair.value instanceof YAML.YAMLSeq) pair.value.flow = true;
    }
  }
  return doc.toString({ lineWidth: 0 });
}

/** util.parseArgs options with one string flag per key (`--rollout.n_votes 16`), for the train command. */
export function configArgOptions(): Record<string, { type: 'string' }> {
  return Object.fromEntries(CONFIG_KEYS.map((k) => [k, { type: 'string' as const }]));
}

/** The config keys among parsed flag values, as overrides for loadConfig. */
export function overridesFromArgs(values: Readonly<Record<string, unknown>>): string[] {
  return CONFIG_KEYS.filter((k) => typeof values[k] === 'string').map((k) => `${k}=${values[k] as string}`);
}

/** One line per key: "section.key  default  description", for --help. */
export function describeConfig(): string[] {
  return CONFIG_KEYS.map((key) => {
    const [section, field] = key.split('.') as [SectionName, string];
    const leaf = sectionShape(section)[field]!;
    const def = leaf.def as { type: string; defaultValue?: unknown };
    // a nested section (rollout.engine) is filled from its own fields' defaults
    const shown = def.type === 'default' ? JSON.stringify(def.defaultValue)
      : def.type === 'prefault' ? JSON.stringify((leaf as unknown as { parse(v: unknown): unknown }).parse(undefined)) : '(required)';
    return `${key.padEnd(26)} ${shown.padEnd(14)} ${leaf.description ?? ''}`;
  });
}

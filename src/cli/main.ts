// `ttrl <command> [options]`: each command lives in its own module, loaded on demand so that
// `ttrl grade` does not pay for loading the native backend.
import { TtrlError } from '../util/errors.js';
import { diskErrorOf } from '../util/disk.js';
import { RunStopped, SIGNAL_EXIT } from '../rl/interrupt.js';

type CommandModule = { run(argv: string[]): Promise<number | void> };

const COMMANDS: Record<string, { about: string; load: () => Promise<CommandModule> }> = {
  generate: { about: 'sample completions of a prompt (text or token ids)', load: () => import('./generate.js') },
  score: { about: 'per-token log-probs of token sequences', load: () => import('./score.js') },
  train: { about: 'run TTRL (or oracle RL) on a dataset: rollouts, votes, GRPO updates, eval, checkpoints', load: () => import('./train.js') },
  eval: { about: 'pass@1 (avg@k), maj@k, best@k and greedy accuracy of a model on a dataset', load: () => import('./eval.js') },
  sft: { about: 'supervised fine-tuning on token ids', load: () => import('./sft.js') },
  report: { about: 'write RUN_DIR/report.html: plots over training steps (self-contained)', load: () => import('./report.js') },
  grade: { about: 'grade {"gold", "pred"} JSONL lines: extract answers, decide mathematical equivalence', load: () => import('./grade.js') },
  demo: { about: 'TTRL end to end on a CPU in minutes: base vs TTRL vs oracle RL on arithmetic, with a report', load: () => import('./demo.js') },
  serve: { about: 'serve a model over an OpenAI-compatible HTTP API (completions, chat, streaming)', load: () => import('./serve.js') },
  export: { about: 'write a model as GGUF (llama.cpp, Ollama) or a clean Hugging Face folder', load: () => import('./export.js') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([k, v]) => `  ${k.padEnd(10)} ${v.about}`);
  return `usage: ttrl <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nttrl <command> --help for its options`;
}

async function main(): Promise<number> {
  const [cmd, ...rest] = process.argv.slice(2);
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(usage() + '\n');
    return cmd ? 0 : 2;
  }
  const entry = COMMANDS[cmd];
  if (!entry) {
    process.stderr.write(`ttrl: unknown command '${cmd}'\n${usage()}\n`);
    return 2;
  }
  const mod = await entry.load();
  const code = await mod.run(rest);
  return typeof code === 'number' ? code : 0;
}

main().then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    const disk = diskErrorOf(err, '?');
    if (err instanceof RunStopped) {
      process.exitCode = SIGNAL_EXIT[err.signal];
    } else if (disk) {
      process.stderr.write(`ttrl: ${disk.message}\n`);
      process.exitCode = 1;
    } else if (err instanceof TtrlError || (err as { code?: string })?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
        || (err as { code?: string })?.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE'
        || (err as { code?: string })?.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      process.stderr.write(`ttrl: ${(err as Error).message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`ttrl: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  },
);

/**
 * The training progress bar (cli-progress, on stderr, only when stderr is a terminal): step, mean
 * reward, mean W, the last validation m@k and generation tokens/s. Log lines are printed above it.
 * And the progress of an evaluation (`evalProgress`): a bar on a terminal, log lines otherwise.
 */
import cliProgress from 'cli-progress';

export interface ProgressFields {
  reward?: number | null;
  W?: number | null;
  val?: number | null;
  tps?: number | null;
}

const show = (x: number | null | undefined, digits: number): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits);

export class ProgressBar {
  private readonly multi?: cliProgress.MultiBar;
  private readonly bar?: cliProgress.SingleBar;
  private fields: ProgressFields = {};
  private stopped = false;

  /** `k`: samples per validation question, for the m@k label. */
  constructor(total: number, start: number, enabled: boolean, k = 16) {
    if (!enabled) return;
    this.multi = new cliProgress.MultiBar(
      {
        stream: process.stderr,
        format: `step {value}/{total} [{bar}] reward {reward} | W {W} | val m@${k} {val} | {tps} tok/s | eta {eta_formatted}`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar = this.multi.create(total, start, this.payload());
  }

  get enabled(): boolean {
    return this.bar !== undefined;
  }

  private payload(): Record<string, string> {
    const f = this.fields;
    return {
      reward: show(f.reward, 3),
      W: f.W === null || f.W === undefined ? '-' : f.W.toExponential(2),
      val: show(f.val, 1),
      tps: show(f.tps, 0),
    };
  }

  update(completedSteps: number, fields: ProgressFields): void {
    this.fields = { ...this.fields, ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) };
    this.bar?.update(completedSteps, this.payload());
  }

  /** Prints a line above the bar. */
  log(line: string): void {
    this.multi?.log(line.endsWith('\n') ? line : `${line}\n`);
  }

  /** Prints the lines still waiting for a redraw, draws the bar a last time and leaves it. */
  stop(): void {
    if (!this.multi || this.stopped) return;
    this.stopped = true;
    this.multi.update();
    this.multi.stop();
  }
}

export interface EvalProgress {
  /** An EvalProgressCallback (evaluate.ts). */
  update: (done: number, total: number) => void;
  /** Leaves the bar where it is. */
  stop: () => void;
}

/**
 * The progress of an evaluation over its questions: a bar on stderr when `bar`, else a line through
 * `log` each time another tenth of the questions is done ("test: 340/1132 questions (30%)").
 */
export function evalProgress(label: string, bar: boolean, log: (line: string) => void): EvalProgress {
  let shown: cliProgress.SingleBar | undefined;
  let tenths = 0;
  return {
    update: (done, total) => {
      if (bar) {
        if (shown) shown.update(done);
        else {
          shown = new cliProgress.SingleBar(
            {
              stream: process.stderr,
              format: `${label} {value}/{total} questions [{bar}] {percentage}% | eta {eta_formatted}`,
              barsize: 24,
              hideCursor: true,
              etaBuffer: 20,
            },
            cliProgress.Presets.shades_classic,
          );
          shown.start(total, done);
        }
        return;
      }
      if (done === 0 || total === 0 || Math.floor((10 * done) / total) <= tenths) return;
      tenths = Math.floor((10 * done) / total);
      log(`${label}: ${done}/${total} questions (${Math.floor((100 * done) / total)}%)`);
    },
    stop: () => shown?.stop(),
  };
}

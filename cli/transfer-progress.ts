// Progress of a put or get: a bar (cli-progress) on a terminal, plain lines at every tenth when the
// output is not one (a log, a pipe), so both people and scripts can follow it. Written to stderr:
// stdout carries the command's result.
import cliProgress from 'cli-progress';
import { bytesText, durationText, progressLine, rateText, secondsLeft, tenthsCrossed } from './progress-format.js';

export class TransferProgress {
  private done = 0;
  private readonly started = process.hrtime.bigint();
  private readonly bar: cliProgress.SingleBar | undefined;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    if (out.isTTY) {
      this.bar = new cliProgress.SingleBar(
        {
          stream: out,
          format: `${label} {bar} {percentage}% | {doneText} of {totalText} | {rate} | {left} left`,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0, this.payload());
    }
  }

  private elapsed(): number {
    return Number(process.hrtime.bigint() - this.started) / 1e9;
  }

  private payload() {
    const p = { done: this.done, total: this.total, elapsedSeconds: this.elapsed() };
    return { doneText: bytesText(this.done), totalText: bytesText(this.total), rate: rateText(p), left: durationText(secondsLeft(p)) };
  }

  add(bytes: number): void {
    const before = this.done;
    this.done += bytes;
    if (this.bar) this.bar.update(this.done, this.payload());
    else if (tenthsCrossed(before, this.done, this.total) > 0 && this.done < this.total) this.line();
  }

  finish(): void {
    if (this.bar) {
      this.bar.update(this.done, this.payload());
      this.bar.stop();
    } else this.line();
  }

  private line(): void {
    this.out.write(`${progressLine(this.label, { done: this.done, total: this.total, elapsedSeconds: this.elapsed() })}\n`);
  }
}

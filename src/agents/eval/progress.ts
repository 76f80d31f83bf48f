/** A one-line progress bar for long CLI runs; only drawn on a terminal so pipes and files stay clean. */
export interface Progress {
  tick(done: number): void;
  finish(): void;
}

export function progressBar(total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY || total === 0) return { tick: () => {}, finish: () => {} };
  const width = 30;
  let lastDrawn = -1;
  const draw = (done: number): void => {
    const filled = Math.round((width * done) / total);
    if (filled === lastDrawn && done !== total) return;
    lastDrawn = filled;
    stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
  };
  return { tick: draw, finish: () => stream.write('\n') };
}

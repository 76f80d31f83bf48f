/**
 * Tells whether a step settled without yielding to the event loop: its promise settled in the same run of
 * microtasks it started in, so no I/O callback (a socket, a timer, a file) can have been waiting on it — the
 * embedded model's async steps are like that. Write-behind treats such a step as synchronous.
 *
 * The counter moves at the end of every run of microtasks in which someone read it (process.nextTick runs
 * once the current microtasks are drained, before any I/O callback), so reading it costs one tick per drain,
 * not one per step.
 */
let turn = 0;
let armed = false;

const advance = (): void => {
  turn++;
  armed = false;
};

/** The current run of microtasks; equal readings at a step's start and end mean it never left it. */
export function loopTurn(): number {
  if (!armed) {
    armed = true;
    process.nextTick(advance);
  }
  return turn;
}

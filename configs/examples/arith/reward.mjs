// The reward of the arith example (task.reward: configs/examples/arith/reward.mjs), written by
// data-scripts/make-example-task.mjs. Called once per rollout with the whole JSONL record, the extracted
// answer and the completion text; returns a number in [0, 1]. Here: 1 when the last number of the
// prediction equals the gold answer, else 0.
export default function reward(record, prediction) {
  const numbers = prediction.replace(/,/g, '').match(/-?\d+(?:\.\d+)?/g);
  if (!numbers) return 0;
  return Number(numbers[numbers.length - 1]) === Number(record.answer) ? 1 : 0;
}

// Start-up times measured interleaved: one run of each command in turn, many rounds, so that a
// machine whose load drifts (shared CI, other jobs) biases every command alike. hyperfine runs
// each command's batch in sequence, so on a busy machine its ratios wander; this complements it.
// usage: node bench/interleaved.mjs ROUNDS COMMAND... (the environment is passed through)
import { spawnSync } from 'node:child_process';

const [rounds, ...commands] = process.argv.slice(2);
const times = commands.map(() => []);
for (let round = 0; round < Number(rounds); round++) {
  commands.forEach((command, i) => {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, { stdio: ['ignore', 'ignore', 'inherit'] });
    if (result.status !== 0) throw new Error(`${command} exited with ${result.status}`);
    times[i].push(Number(process.hrtime.bigint() - start) / 1e6);
  });
}
const median = (values) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)];
const base = median(times[0]);
commands.forEach((command, i) => {
  const m = median(times[i]);
  console.log(`${m.toFixed(1).padStart(6)} ms median  ${Math.min(...times[i]).toFixed(1).padStart(6)} ms min  ${(m / base).toFixed(3)}×  ${command}`);
});

/**
 * Which recurrent implementation the lab's models use (recorded in summary.json and reports):
 * always Regulab's layers (`rl.layers.lstm`, `rl.layers.gru`), named in the run's model spec.
 */
export function lstmImplementation(): 'regulab' {
  return 'regulab';
}

// Public namespace rl.optimizers: each module adds its own export line here.
export {};

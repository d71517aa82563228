// Public namespace rl.regularizers: each module adds its own export line here.
export {};
